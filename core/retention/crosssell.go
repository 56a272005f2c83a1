package retention

import (
	"slices"
	"sort"
)

// CrossSellInput is one customer's purchase categories and specialties.
type CrossSellInput struct {
	// Categories the customer has bought.
	Categories []string
	// Specialties are the customer's industries and interests (tags).
	Specialties []string
	// Baskets are the category sets of individual orders; when empty the
	// customer's Categories count as one basket.
	Baskets [][]string
}

// CrossSellOptions sets the rule thresholds.
type CrossSellOptions struct {
	// MinSupport is the minimum share of baskets holding both categories
	// (default 0.01), so one odd order does not become a rule.
	MinSupport float64
	// MinConfidence is the minimum P(B | A) (default 0.1).
	MinConfidence float64
	// MinCount is the minimum number of customers sharing a specialty for
	// it to inform suggestions (default 3).
	MinCount int
}

func (o CrossSellOptions) withDefaults() CrossSellOptions {
	if o.MinSupport <= 0 {
		o.MinSupport = 0.01
	}
	if o.MinConfidence <= 0 {
		o.MinConfidence = 0.1
	}
	if o.MinCount <= 0 {
		o.MinCount = 3
	}
	return o
}

// AssociationRule says customers who buy From also buy To.
type AssociationRule struct {
	From, To string
	// Support is the share of baskets holding both; Confidence is
	// P(To | From); Lift is Confidence ÷ P(To): above 1 the pair goes
	// together more often than chance.
	Support, Confidence, Lift float64
}

// Suggestion is a category to offer a customer and why.
type Suggestion struct {
	Category string
	// Score is the rule confidence or the specialty share it came from.
	Score float64
	// Lift is how much more likely than average the suggestion is.
	Lift float64
	// Source is "bought-together" or "specialty".
	Source string
	// Because names the owned category or the specialty behind it.
	Because string
}

// CrossSellModel holds a tenant's association rules and specialty
// preferences.
type CrossSellModel struct {
	rules     map[string][]AssociationRule // by From
	specShare map[string]map[string]float64
	catShare  map[string]float64 // share of customers who bought each category
}

// BuildCrossSell learns association rules over baskets (rules with lift
// ≤ 1 are dropped: they sell nothing the average customer would not buy
// anyway) and, per specialty, the share of its customers buying each
// category.
func BuildCrossSell(customers []CrossSellInput, opts CrossSellOptions) *CrossSellModel {
	opts = opts.withDefaults()
	single := map[string]int{}
	pair := map[[2]string]int{}
	nBaskets := 0
	addBasket := func(b []string) {
		cats := uniqueSorted(b)
		if len(cats) == 0 {
			return
		}
		nBaskets++
		for i, a := range cats {
			single[a]++
			for _, c := range cats[i+1:] {
				pair[[2]string{a, c}]++
			}
		}
	}
	for _, c := range customers {
		if len(c.Baskets) == 0 {
			addBasket(c.Categories)
			continue
		}
		for _, b := range c.Baskets {
			addBasket(b)
		}
	}
	m := &CrossSellModel{rules: map[string][]AssociationRule{}, specShare: map[string]map[string]float64{}, catShare: map[string]float64{}}
	if nBaskets > 0 {
		nb := float64(nBaskets)
		for pr, n := range pair {
			sup := float64(n) / nb
			if sup < opts.MinSupport {
				continue
			}
			for _, dir := range [2][2]string{{pr[0], pr[1]}, {pr[1], pr[0]}} {
				conf := float64(n) / float64(single[dir[0]])
				lift := conf / (float64(single[dir[1]]) / nb)
				if conf >= opts.MinConfidence && lift > 1 {
					m.rules[dir[0]] = append(m.rules[dir[0]], AssociationRule{From: dir[0], To: dir[1], Support: sup, Confidence: conf, Lift: lift})
				}
			}
		}
		for k := range m.rules {
			slices.SortFunc(m.rules[k], func(a, b AssociationRule) int {
				if c := cmpFloat(b.Confidence, a.Confidence); c != 0 {
					return c
				}
				return compareStr(a.To, b.To)
			})
		}
	}
	// specialty → category shares, over customers
	specN := map[string]int{}
	specCat := map[string]map[string]int{}
	catN := map[string]int{}
	for _, c := range customers {
		cats := uniqueSorted(c.Categories)
		for _, k := range cats {
			catN[k]++
		}
		for _, s := range uniqueSorted(c.Specialties) {
			specN[s]++
			if specCat[s] == nil {
				specCat[s] = map[string]int{}
			}
			for _, k := range cats {
				specCat[s][k]++
			}
		}
	}
	if n := float64(len(customers)); n > 0 {
		for k, v := range catN {
			m.catShare[k] = float64(v) / n
		}
	}
	for s, n := range specN {
		if n < opts.MinCount {
			continue
		}
		m.specShare[s] = map[string]float64{}
		for k, v := range specCat[s] {
			m.specShare[s][k] = float64(v) / float64(n)
		}
	}
	return m
}

// Rules returns every association rule, strongest first.
func (m *CrossSellModel) Rules() []AssociationRule {
	var out []AssociationRule
	for _, rs := range m.rules {
		out = append(out, rs...)
	}
	slices.SortFunc(out, func(a, b AssociationRule) int {
		if c := cmpFloat(b.Confidence, a.Confidence); c != 0 {
			return c
		}
		if c := compareStr(a.From, b.From); c != 0 {
			return c
		}
		return compareStr(a.To, b.To)
	})
	return out
}

// Suggest returns up to n categories the customer does not have yet: those
// bought together with what they own, and those popular among customers
// sharing their specialties (where more popular than among all customers).
// Each category keeps its strongest reason.
func (m *CrossSellModel) Suggest(c CrossSellInput, n int) []Suggestion {
	if len(c.Categories) == 0 && len(c.Baskets) == 0 && len(c.Specialties) == 0 {
		return nil // nothing to go on; also the common case for order-only tenants
	}
	owned := map[string]bool{}
	for _, k := range c.Categories {
		owned[k] = true
	}
	for _, b := range c.Baskets {
		for _, k := range b {
			owned[k] = true
		}
	}
	best := map[string]Suggestion{}
	offer := func(s Suggestion) {
		if owned[s.Category] {
			return
		}
		if cur, ok := best[s.Category]; !ok || s.Score > cur.Score || (s.Score == cur.Score && s.Because < cur.Because) {
			best[s.Category] = s
		}
	}
	for k := range owned {
		for _, r := range m.rules[k] {
			offer(Suggestion{Category: r.To, Score: r.Confidence, Lift: r.Lift, Source: "bought-together", Because: k})
		}
	}
	for _, s := range uniqueSorted(c.Specialties) {
		for k, share := range m.specShare[s] {
			base := m.catShare[k]
			if base <= 0 || share <= base {
				continue
			}
			offer(Suggestion{Category: k, Score: share, Lift: share / base, Source: "specialty", Because: s})
		}
	}
	out := make([]Suggestion, 0, len(best))
	for _, s := range best {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Suggestion) int {
		if c := cmpFloat(b.Score, a.Score); c != 0 {
			return c
		}
		return compareStr(a.Category, b.Category)
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

func uniqueSorted(v []string) []string {
	out := make([]string, 0, len(v))
	for _, s := range v {
		if s != "" {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
