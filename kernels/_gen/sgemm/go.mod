module dartsgen/sgemm

go 1.26.0
