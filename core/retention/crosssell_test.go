package retention

import (
	"math"
	"testing"
)

func TestCrossSellRulesByHand(t *testing.T) {
	// Ten baskets. coffee: 6, milk: 5, coffee+milk: 4, bread: 4,
	// bread+milk: 1, tea: 2, tea+coffee: 0.
	baskets := [][]string{
		{"coffee", "milk"}, {"coffee", "milk"}, {"coffee", "milk"}, {"coffee", "milk", "bread"},
		{"coffee"}, {"coffee"}, {"milk"}, {"bread"}, {"bread", "tea"}, {"bread", "tea"},
	}
	// bread+milk: 1 basket (the 4th). bread+coffee: 1. bread+tea: 2.
	var cust []CrossSellInput
	for _, b := range baskets {
		cust = append(cust, CrossSellInput{Categories: b})
	}
	m := BuildCrossSell(cust, CrossSellOptions{MinSupport: 0.15, MinConfidence: 0.3})
	rules := m.Rules()
	// Surviving support ≥ 0.15 pairs: coffee+milk (0.4), bread+tea (0.2).
	// coffee→milk: conf 4/6 = 0.667, lift 0.667/0.5 = 1.333
	// milk→coffee: conf 4/5 = 0.8,   lift 0.8/0.6  = 1.333
	// bread→tea:   conf 2/4 = 0.5,   lift 0.5/0.2  = 2.5
	// tea→bread:   conf 2/2 = 1,     lift 1/0.4    = 2.5
	want := []AssociationRule{
		{"tea", "bread", 0.2, 1, 2.5},
		{"milk", "coffee", 0.4, 0.8, 4.0 / 3},
		{"coffee", "milk", 0.4, 4.0 / 6, 4.0 / 3},
		{"bread", "tea", 0.2, 0.5, 2.5},
	}
	if len(rules) != len(want) {
		t.Fatalf("got %d rules %+v, want %d", len(rules), rules, len(want))
	}
	for i, w := range want {
		g := rules[i]
		if g.From != w.From || g.To != w.To || math.Abs(g.Support-w.Support) > 1e-12 ||
			math.Abs(g.Confidence-w.Confidence) > 1e-12 || math.Abs(g.Lift-w.Lift) > 1e-12 {
			t.Errorf("rule %d = %+v, want %+v", i, g, w)
		}
	}
	s := m.Suggest(CrossSellInput{Categories: []string{"coffee"}}, 3)
	if len(s) != 1 || s[0].Category != "milk" || s[0].Because != "coffee" {
		t.Errorf("suggestions for a coffee buyer = %+v, want milk because of coffee", s)
	}
	if s := m.Suggest(CrossSellInput{Categories: []string{"coffee", "milk"}}, 3); len(s) != 0 {
		t.Errorf("a customer owning both got %+v, want nothing", s)
	}
}

func TestCrossSellBySpecialty(t *testing.T) {
	// Four dentists, three bought "sterilisers"; six others, one did.
	// Share among dentists 0.75 vs 0.4 overall: suggest to a new dentist.
	var cust []CrossSellInput
	for i := 0; i < 4; i++ {
		c := CrossSellInput{Specialties: []string{"dentistry"}, Categories: []string{"gloves"}}
		if i < 3 {
			c.Categories = append(c.Categories, "sterilisers")
		}
		cust = append(cust, c)
	}
	for i := 0; i < 6; i++ {
		c := CrossSellInput{Specialties: []string{"retail"}, Categories: []string{"paper"}}
		if i == 0 {
			c.Categories = append(c.Categories, "sterilisers")
		}
		cust = append(cust, c)
	}
	m := BuildCrossSell(cust, CrossSellOptions{MinSupport: 0.5}) // no basket rules survive
	got := m.Suggest(CrossSellInput{Specialties: []string{"dentistry"}, Categories: []string{"gloves"}}, 5)
	if len(got) != 1 || got[0].Category != "sterilisers" || got[0].Source != "specialty" ||
		math.Abs(got[0].Score-0.75) > 1e-12 || math.Abs(got[0].Lift-0.75/0.4) > 1e-12 {
		t.Fatalf("dentist suggestions = %+v, want sterilisers at 0.75 (lift 1.875)", got)
	}
	// gloves: 4/4 among dentists vs 0.4 overall, but already owned.
	for _, s := range got {
		if s.Category == "gloves" {
			t.Errorf("suggested an owned category: %+v", s)
		}
	}
}
