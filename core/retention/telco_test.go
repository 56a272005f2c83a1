package retention

import (
	"math"
	"strings"
	"testing"
)

// telcoExamples reads the IBM Telco sample into contract examples and
// counts the rows whose TotalCharges is blank.
func telcoExamples(t testing.TB) ([]ContractExample, int) {
	rows := readCSV(t, "WA_Fn-UseC_-Telco-Customer-Churn.csv")
	head := rows[0]
	if len(head) != 21 || head[20] != "Churn" || len(rows) != 7044 {
		t.Fatalf("unexpected Telco shape: %d columns, %d rows", len(head), len(rows))
	}
	numeric := map[string]bool{"tenure": true, "MonthlyCharges": true, "TotalCharges": true}
	var ex []ContractExample
	blank := 0
	for _, r := range rows[1:] {
		if len(r) != 21 {
			t.Fatalf("row %v has %d fields", r[0], len(r))
		}
		e := ContractExample{Numeric: map[string]float64{}, Categorical: map[string]string{}, Churned: r[20] == "Yes"}
		for j := 1; j < 20; j++ {
			name := head[j]
			if numeric[name] {
				if strings.TrimSpace(r[j]) == "" {
					blank++
					continue // missing: the model imputes and flags it
				}
				e.Numeric[name] = atof(t, r[j])
				continue
			}
			e.Categorical[name] = r[j]
		}
		ex = append(ex, e)
	}
	return ex, blank
}

func TestTelcoContractModel(t *testing.T) {
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
