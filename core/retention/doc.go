// Package retention owns Gomato's retention analytics: it turns a tenant's
// transactions, contracts and side facts (invoices, tickets, satisfaction,
// specialties) into per-customer scores that sales and support can act on.
//
// It holds the models of DESIGN.md §7 and nothing else: purchase summaries
// (x, t_x, T), RFM quintiles and segments, BG/NBD and MBG/NBD purchase
// models, the Gamma-Gamma spend model, CLV, churn risk with reasons in
// English and Persian (a backtested transaction model and a regularised,
// calibrated contract model), the health score, cross-sell suggestions and
// the rescue-alert decision. Score is the one entry point the scoring job
// calls; everything else is exported so that dashboards and tests can use
// the pieces.
//
// The scoring job needs three calls: Score(TenantInput, Options) for a
// run (Result holds the fitted models, their fit quality and one
// CustomerScore per input customer, in input order); DecideAlert for each
// customer against its previous score, and BaselineAlerts on a tenant's
// first run. Dashboards may use the pieces directly: Summarize,
// FitBG, FitGammaGamma, CLV, ContractCLV, ScoreRFM, Health,
// BuildCrossSell, FitContractModel and CrossValidateContractModel, ROCAUC
// and Brier.
//
// The package is pure computation: it reads no files, opens no connections
// and knows no framework, so the same code runs in the worker, in tests
// against the published CDNOW and Telco figures, and in benchmarks. Money is
// int64 minor units at the edges; models work in float64 internally because
// their parameters are continuous. Every time quantity names its unit
// (TimeUnit) because the published CLV figures for CDNOW went wrong by
// mixing days and weeks.
package retention
