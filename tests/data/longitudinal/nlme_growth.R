# Complete-data fits of the growth replicates of benchmarks/bench_longitudinal.py:
#   python tests/data/longitudinal/make_growth_data.py /tmp/growth.csv 100
#   Rscript tests/data/longitudinal/nlme_growth.R /tmp/growth.csv tests/data/longitudinal/nlme_growth.csv
# nlme::lme with a random intercept and slope of time per person and continuous-time AR(1)
# residuals (corCAR1: correlation phi^|t - s|), REML. Columns se_<term> are the fixed effects'
# standard errors, for the complete data's coverage of the truth.
library(nlme)
arguments <- commandArgs(trailingOnly = TRUE)
data <- read.csv(arguments[1])
rows <- lapply(split(data, data$seed), function(one) {
  fit <- lme(y ~ time * treat + x, random = ~ time | id, data = one,
             correlation = corCAR1(form = ~ time | id),
             control = lmeControl(opt = "optim", maxIter = 200, msMaxIter = 200))
  effects <- fixef(fit)
  se <- sqrt(diag(vcov(fit)))
  data.frame(
    seed = one$seed[1],
    Intercept = effects[["(Intercept)"]],
    time = effects[["time"]],
    treat = effects[["treat"]],
    "time:treat" = effects[["time:treat"]],
    x = effects[["x"]],
    slope_variance = as.numeric(getVarCov(fit)["time", "time"]),
    phi = as.numeric(coef(fit$modelStruct$corStruct, unconstrained = FALSE)),
    se_Intercept = se[["(Intercept)"]],
    se_time = se[["time"]],
    se_treat = se[["treat"]],
    "se_time:treat" = se[["time:treat"]],
    se_x = se[["x"]],
    check.names = FALSE
  )
})
out <- do.call(rbind, rows)
write.csv(out, arguments[2], row.names = FALSE)
cat(sprintf("nlme %s, R %s: %d replicates\n", packageVersion("nlme"), getRversion(), nrow(out)))
