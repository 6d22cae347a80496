# Reference numbers of substantive-model-compatible imputation for a Cox model, by R's smcfcs.
# Run from the repository root: Rscript tests/data/smcfcs/smcfcs_cox.R
# Reads tests/data/smcfcs/cox.csv (made by make_data.py), writes tests/data/smcfcs/cox.json.
suppressPackageStartupMessages({
  library(smcfcs)
  library(survival)
  library(jsonlite)
})
set.seed(2030)
data <- read.csv("tests/data/smcfcs/cox.csv")
m <- 100
# covariate models: x ~ z + b (normal), b ~ x + z (logistic); study is not used (no effects)
predictors <- matrix(0, ncol(data), ncol(data), dimnames = list(names(data), names(data)))
predictors["x", c("z", "b")] <- 1
predictors["b", c("x", "z")] <- 1
methods <- c(study = "", z = "", x = "norm", b = "logreg", time = "", event = "")
started <- Sys.time()
imputed <- smcfcs(data, smtype = "coxph", smformula = "Surv(time, event) ~ x + z + b",
                  method = methods, predictorMatrix = predictors, m = m, numit = 20,
                  noisy = FALSE)
seconds <- as.numeric(difftime(Sys.time(), started, units = "secs"))
fits <- lapply(imputed$impDatasets, function(d) coxph(Surv(time, event) ~ x + z + b, data = d,
                                                      ties = "breslow"))
estimates <- t(sapply(fits, coef))
variances <- t(sapply(fits, function(f) diag(vcov(f))))
within <- colMeans(variances)
between <- apply(estimates, 2, var)
total <- within + (1 + 1 / m) * between
complete <- read.csv("tests/data/smcfcs/cox.csv")
result <- list(
  software = sprintf("smcfcs %s, survival %s, %s", packageVersion("smcfcs"),
                     packageVersion("survival"), R.version.string),
  call = "smcfcs(smtype='coxph', smformula='Surv(time, event) ~ x + z + b', method x=norm b=logreg, m=100, numit=20); coxph ties='breslow'; Rubin's rules",
  m = m,
  seconds = seconds,
  estimate = as.list(colMeans(estimates)),
  std_error = as.list(sqrt(total)),
  fmi = as.list((1 + 1 / m) * between / total)
)
write_json(result, "tests/data/smcfcs/cox.json", auto_unbox = TRUE, digits = NA, pretty = TRUE)
print(result)
