# A mids made by R's mice, exported as mice's long format, and mice's own pooled fit of it:
# the reference numbers of tests/test_foreign.py (bm.read_mids pools to pool()'s numbers).
# Run from this directory: Rscript make_mids.R
library(mice)
imp <- mice(nhanes2, m = 5, seed = 2026, printFlag = FALSE)
long <- complete(imp, action = "long", include = TRUE)
write.csv(long, "nhanes2_mids.csv", row.names = FALSE, na = "NA")
fit <- with(imp, lm(chl ~ age + bmi + hyp))
pooled <- summary(pool(fit))
pooled$term <- as.character(pooled$term)
write.csv(pooled, "nhanes2_pool.csv", row.names = FALSE)
writeLines(c(paste("mice", as.character(packageVersion("mice"))),
             paste("R", as.character(getRversion()))), "versions.txt")
