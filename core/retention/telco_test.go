package retention

import (
	"math"
	"strings"
	"testing"
	"time"
)

// telcoAsOf is an arbitrary scoring date for the Telco snapshot: the
// file gives tenure in months, not dates.
var telcoAsOf = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// telcoCustomers reads the IBM Telco sample as tenant customers with one
// contract each (start = tenure months before the scoring date, the
// contract type, monthly charges, the churn flag) and the other columns
// as custom fields. It also counts the rows whose TotalCharges is blank.
func telcoCustomers(t testing.TB) ([]CustomerInput, int) {
	rows := readCSV(t, "WA_Fn-UseC_-Telco-Customer-Churn.csv")
	head := rows[0]
	if len(head) != 21 || head[20] != "Churn" || len(rows) != 7044 {
		t.Fatalf("unexpected Telco shape: %d columns, %d rows", len(head), len(rows))
	}
	var out []CustomerInput
	blank := 0
	for _, r := range rows[1:] {
		if len(r) != 21 {
			t.Fatalf("row %v has %d fields", r[0], len(r))
		}
		churned := r[20] == "Yes"
		c := CustomerInput{ID: CustomerID(r[0]), Status: StatusActive, Owner: "owner-" + r[17],
			Numeric: map[string]float64{}, Categorical: map[string]string{}}
		var k Contract
		for j := 1; j < 20; j++ {
			switch name := head[j]; name {
			case "tenure":
				k.Start = telcoAsOf.AddDate(0, -int(atof(t, r[j])), 0)
			case "MonthlyCharges":
				k.MonthlyValue = parseCents(t, r[j])
			case "Contract":
				k.Type = r[j]
			case "TotalCharges":
				if strings.TrimSpace(r[j]) == "" {
					blank++
					continue // missing: the model imputes and flags it
				}
				c.Numeric[name] = atof(t, r[j])
			default:
				c.Categorical[name] = r[j]
			}
		}
		k.Churned = &churned
		c.Contracts = []Contract{k}
		out = append(out, c)
	}
	return out, blank
}

// telcoExamples is the contract model's view of the Telco customers.
func telcoExamples(t testing.TB) ([]ContractExample, int) {
	cust, blank := telcoCustomers(t)
	ex := make([]ContractExample, len(cust))
	for i, c := range cust {
		e, known := ContractExampleFor(c, telcoAsOf)
		if !known {
			t.Fatalf("customer %s: label unknown despite a churn flag", c.ID)
		}
		ex[i] = e
	}
	return ex, blank
}

func TestTelcoContractModel(t *testing.T) {
	t.Parallel() // heavy and independent: overlap with the other heavy tests
	ex, blank := telcoExamples(t)
	if blank != 11 {
		t.Errorf("blank TotalCharges = %d, want 11", blank)
	}
	m, err := FitContractModel(ex, ContractOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Missing["TotalCharges"] != 11 {
		t.Errorf("model counted %d missing TotalCharges, want 11", m.Missing["TotalCharges"])
	}
	if m.N != 7043 || m.Churned != 1869 {
		t.Errorf("trained on %d examples with %d churned, want 7043 and 1869", m.N, m.Churned)
	}
	t.Logf("lambda %.3g, inner CV AUC %.4f, log loss %.4f", m.Lambda, m.CVAUC, m.CVLogLoss)
	for _, d := range m.Drivers(8) {
		t.Logf("driver %-45s %+.3f", d.Feature, d.Weight)
	}
	rep, err := CrossValidateContractModel(ex, 5, 5, ContractOptions{Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("5×5 stratified CV: mean AUC %.4f (sd %.4f, range %.4f–%.4f), Brier %.4f", rep.MeanAUC, rep.SDAUC, rep.MinAUC, rep.MaxAUC, rep.Brier)
	if len(rep.AUCs) != 25 {
		t.Fatalf("got %d fold AUCs, want 25", len(rep.AUCs))
	}
	if !(rep.MeanAUC >= 0.84) {
		t.Errorf("mean CV AUC %.4f < 0.84", rep.MeanAUC)
	}
	// Churn is 26.5 %: always predicting the base rate scores 0.195.
	if !(rep.Brier < 0.16) || math.IsNaN(rep.Brier) {
		t.Errorf("Brier %.4f, want < 0.16", rep.Brier)
	}
}

func TestTelcoScoreChoosesContractModel(t *testing.T) {
	t.Parallel() // heavy and independent: overlap with the other heavy tests
	cust, _ := telcoCustomers(t)
	// Side facts on two customers, to see them in health.
	cust[0].OpenTickets = 3
	res, err := Score(TenantInput{Customers: cust}, Options{AsOf: telcoAsOf, MoneyScale: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.Chosen != ModelContract || res.Contract == nil {
		t.Fatalf("chosen %q (%s), want the contract model", res.Chosen, res.ContractWhy)
	}
	if res.FitError == "" {
		t.Errorf("a tenant without transactions fitted purchase models")
	}
	levels := map[RiskLevel]int{}
	var probs []float64
	var churned []bool
	for i, s := range res.Scores {
		if s.Model != ModelContract {
			t.Fatalf("customer %s scored by %q", s.ID, s.Model)
		}
		levels[s.Level]++
		probs = append(probs, s.Risk)
		churned = append(churned, *cust[i].Contracts[0].Churned)
		if s.Level == RiskHigh && len(s.Reasons) == 0 {
			t.Errorf("high-risk customer %s has no reasons", s.ID)
		}
		for _, r := range s.Reasons {
			if r.TextEN == "" || r.TextFA == "" || r.Weight <= 0 {
				t.Errorf("customer %s: incomplete reason %+v", s.ID, r)
			}
		}
		if s.CLV < 0 || (s.CLV == 0 && cust[i].Contracts[0].MonthlyValue > 0) {
			t.Errorf("customer %s: contract CLV %d", s.ID, s.CLV)
		}
	}
	t.Logf("levels %v; in-sample AUC %.4f; first customer %+v", levels, ROCAUC(probs, churned), res.Scores[0].Reasons)
	// Customer 7590-VHVEG pays 29.85 a month; its money reason reads in dollars.
	for _, r := range res.Scores[0].Reasons {
		if r.Code == "feature:"+featMonthly && !strings.Contains(r.TextEN, "29.85") {
			t.Errorf("monthly value reason %q does not show 29.85", r.TextEN)
		}
	}
	if levels[RiskHigh] == 0 || levels[RiskLow] == 0 {
		t.Errorf("levels %v: want both low and high customers", levels)
	}
	// Calibration: mean predicted churn matches the 26.5 % base rate.
	var mean float64
	for _, p := range probs {
		mean += p
	}
	mean /= float64(len(probs))
	if math.Abs(mean-1869.0/7043) > 0.01 {
		t.Errorf("mean predicted churn %.4f, base rate %.4f", mean, 1869.0/7043)
	}
}
