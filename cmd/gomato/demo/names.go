package demo

import (
	"hash/fnv"
)

// pick returns a deterministic index in [0, n) for a key: the same key
// always gets the same choice, so every run generates the same people.
func pick(n int, key ...string) int {
	return int(hash(key...) % uint64(n))
}

// chance reports whether key falls in the first per-mille of its hash space.
func chance(perMille int, key ...string) bool {
	return int(hash(key...)%1000) < perMille
}

func hash(key ...string) uint64 {
	h := fnv.New64a()
	for _, k := range key {
		h.Write([]byte(k))
		h.Write([]byte{0})
	}
	// FNV's low bits mix poorly for short keys: fold the high half in.
	v := h.Sum64()
	v ^= v >> 33
	v *= 0xff51afd7ed558ccd
	v ^= v >> 33
	return v
}

var (
	englishFirst = []string{"Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophia", "Grace", "Mia", "Poppy", "Ella",
		"Lily", "Evie", "Ivy", "Freya", "Charlotte", "Ruby", "Florence", "Alice", "Harper", "Sienna",
		"Oliver", "George", "Harry", "Noah", "Jack", "Leo", "Arthur", "Muhammad", "Oscar", "Charlie",
		"Jacob", "Thomas", "Henry", "William", "Freddie", "Alfie", "Theo", "Archie", "James", "Joshua"}
	englishFemale = englishFirst[:20]
	englishMale   = englishFirst[20:]
	englishLast   = []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
		"Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Thomas", "Clarke",
		"Jackson", "Wood", "Harris", "Edwards", "Turner", "Martin", "Cooper", "Hill", "Ward", "Hughes",
		"Moore", "Clark", "King", "Harrison", "Lewis", "Baker", "Lee", "Allen", "Morris", "Khan",
		"Garcia", "Martinez", "Nguyen", "Kim", "Lopez", "Chen", "Rodriguez", "Hernandez", "Gonzalez", "Singh"}
	shopWords = []string{"Gifts", "Home Store", "Trading", "Interiors", "Boutique", "Emporium", "Crafts", "Living", "& Co", "Supplies"}

	persianFirst = []string{"علی", "محمد", "حسین", "رضا", "مهدی", "امیر", "سعید", "حمید", "مجید", "بهرام",
		"کامران", "آرش", "داریوش", "کیوان", "پرویز", "محمدرضا", "امیرحسین", "سیاوش", "بابک", "فرهاد",
		"زهرا", "فاطمه", "مریم", "سارا", "نرگس", "لیلا", "شیرین", "مهسا", "نگار", "الهام",
		"پریسا", "آزاده", "مینا", "رویا", "سمیرا", "فرناز", "نازنین", "یاسمن", "هستی", "ترانه"}
	// Several surnames carry a zero-width non-joiner (U+200C), as Persian
	// writes them.
	persianLast = []string{"محمدی", "حسینی", "احمدی", "رضایی", "کریمی", "موسوی", "جعفری", "صادقی", "رحیمی", "هاشمی",
		"قاسمی", "نوری", "کاظمی", "عباسی", "طاهری", "مرادی", "اکبری", "یوسفی", "شریفی", "رستمی",
		"حسین\u200cزاده", "علی\u200cپور", "قلی\u200cزاده", "نیک\u200cنام", "خسروی", "فرهادی", "پاک\u200cنژاد", "امیری", "بهرامی", "تهرانی",
		"شیرازی", "اصفهانی", "کرمانی", "تبریزی", "سلطانی", "میرزایی", "زمانی", "نجفی", "دهقان", "افشار"}
)

// province is an Iranian province with some of its cities; weight is a
// rough share of customers.
type province struct {
	name   string
	cities []string
	weight int
}

var iranProvinces = []province{
	{"تهران", []string{"تهران", "شهریار", "اسلامشهر", "ری"}, 30},
	{"اصفهان", []string{"اصفهان", "کاشان", "نجف\u200cآباد"}, 9},
	{"خراسان رضوی", []string{"مشهد", "نیشابور", "سبزوار"}, 9},
	{"فارس", []string{"شیراز", "مرودشت", "کازرون"}, 7},
	{"آذربایجان شرقی", []string{"تبریز", "مراغه", "مرند"}, 6},
	{"البرز", []string{"کرج", "فردیس", "نظرآباد"}, 6},
	{"خوزستان", []string{"اهواز", "دزفول", "آبادان"}, 6},
	{"مازندران", []string{"ساری", "بابل", "آمل"}, 5},
	{"گیلان", []string{"رشت", "لاهیجان", "انزلی"}, 4},
	{"کرمان", []string{"کرمان", "رفسنجان", "سیرجان"}, 4},
	{"قم", []string{"قم"}, 3},
	{"یزد", []string{"یزد", "میبد"}, 3},
	{"کرمانشاه", []string{"کرمانشاه", "اسلام\u200cآباد غرب"}, 3},
	{"همدان", []string{"همدان", "ملایر"}, 2},
	{"هرمزگان", []string{"بندرعباس", "قشم"}, 2},
	{"گلستان", []string{"گرگان", "گنبد کاووس"}, 1},
}

func pickProvince(key string) (province, city string) {
	total := 0
	for _, p := range iranProvinces {
		total += p.weight
	}
	n := pick(total, "province", key)
	for _, p := range iranProvinces {
		if n < p.weight {
			return p.name, p.cities[pick(len(p.cities), "city", key)]
		}
		n -= p.weight
	}
	panic("unreachable")
}

var californiaCities = []string{"Los Angeles", "San Diego", "San Jose", "San Francisco", "Fresno", "Sacramento",
	"Long Beach", "Oakland", "Bakersfield", "Anaheim", "Riverside", "Irvine", "Santa Ana", "Pasadena"}
