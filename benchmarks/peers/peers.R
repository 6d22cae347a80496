# Times of R's peers on bayesmi's benchmark workloads: mitml's panImpute (pan) and mice.
# Run: Rscript benchmarks/peers/peers.R POPMIS_CSV SURVEY_CSV [--mice]
# POPMIS_CSV is bayesmi/datasets/popmis.csv; SURVEY_CSV is written by bench_peers.py
# (bm.simulate.simulate_school_survey(schools=280, pupils=100, seed=1).incomplete). Each time
# is the median of repeated calls (popmis: 20; survey: 3); prints one JSON object.
suppressMessages({library(mitml); library(mice); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
median_seconds <- function(n, expr) {
  call <- substitute(expr)
  frame <- parent.frame()
  median(sapply(seq_len(n), function(k) system.time(eval(call, frame))[["elapsed"]]))
}
popmis <- read.csv(args[1])
survey <- read.csv(args[2])
result <- list(
  date = format(Sys.Date()),
  versions = list(R = R.version.string, mitml = as.character(packageVersion("mitml")),
                  pan = as.character(packageVersion("pan")),
                  mice = as.character(packageVersion("mice"))),
  popmis_pan_seconds = median_seconds(20, panImpute(
    popmis, formula = popular ~ 1 + sex + texp + (1 | school),
    n.burn = 100, n.iter = 10, m = 10, silent = TRUE, seed = 1)),
  popmis_pan_sweeps = 100 + 10 * 10,
  survey_pan_seconds = median_seconds(3, panImpute(
    survey, formula = math + reading + science + motivation ~
      1 + age + iq + sex + homework + size + public + (1 | school),
    n.burn = 20, n.iter = 5, m = 5, silent = TRUE, seed = 1)),
  survey_pan_sweeps = 20 + 5 * 5
)
if ("--mice" %in% args) {  # the whole survey workload, as bench_large.py times bayesmi on it
  survey$school <- as.integer(survey$school)
  method <- make.method(survey)
  method[c("math", "reading", "science", "motivation")] <- "2l.pan"
  method["repeated"] <- "2l.bin"
  method["climate"] <- "2lonly.norm"
  predictors <- make.predictorMatrix(survey)
  predictors[, "school"] <- -2
  predictors["school", ] <- 0
  result$survey_mice_seconds <- median_seconds(1, mice(
    survey, m = 5, maxit = 5, method = method, predictorMatrix = predictors,
    printFlag = FALSE, seed = 1))
}
cat(toJSON(result, auto_unbox = TRUE, digits = 6), "\n")
