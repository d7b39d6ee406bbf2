module example.com/fincloud/risk-engine

go 1.22
