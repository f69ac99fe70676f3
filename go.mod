module almos

go 1.26
