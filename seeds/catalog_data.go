package seeds

// The demo catalogue, as compact tables: each shop's items (name,
// category code, origin, cost of 500 g or of one unit in fen,
// certifications) crossed with its grades. catalogProducts expands them
// into products with 1–3 SKUs priced by the seed plans' rule (retail =
// cost × 3 to 4).

type itemSeed struct {
	Name, Category, Origin string
	CostFen                int64 // per 500 g, or per unit for specs without weight
	Certs                  []string
}

// gradeSeed is a variant of every item of a shop: a name prefix or
// suffix, a cost factor in percent and certifications it adds.
type gradeSeed struct {
	Prefix, Suffix string
	CostPct        int64
	Certs          []string
}

// specSeed is one SKU size: its label and weight in grams (0: a unit).
type specSeed struct {
	Label string
	Grams int
}

type shopCatalogSeed struct {
	Tenant, Shop, CodePrefix string
	Specs                    []specSeed
	Attributes               map[string]string
	Grades                   []gradeSeed
	Items                    []itemSeed
	// Supplier: items listed by the flagship store for the demo supplier.
	Supplier bool
}

var (
	vegSpecs   = []specSeed{{"500g", 500}, {"1kg", 1000}, {"5kg", 5000}}
	riceSpecs  = []specSeed{{"5kg", 5000}, {"10kg", 10000}, {"25kg", 25000}}
	dryGoods   = []specSeed{{"250g", 250}, {"500g", 500}, {"1kg", 1000}}
	oilSpecs   = []specSeed{{"1L", 920}, {"2.5L", 2300}, {"5L", 4600}}
	fruitSpecs = []specSeed{{"500g", 500}, {"1.5kg", 1500}, {"5kg", 5000}}
	cardSpecs  = []specSeed{{"1份", 0}, {"3份", 0}, {"10份", 0}}

	plain   = gradeSeed{CostPct: 100}
	organic = gradeSeed{Prefix: "有机", CostPct: 160, Certs: []string{"organic"}}
)

var catalogSeeds = []shopCatalogSeed{
	{Tenant: "changsha-coop", Shop: "yuelu-veg", CodePrefix: "VEG", Specs: vegSpecs,
		Attributes: map[string]string{"保存方式": "0–4℃冷藏", "采摘": "当日清晨"},
		Grades:     []gradeSeed{plain, organic},
		Items: []itemSeed{
			{"小白菜", "vegetables", "长沙岳麓", 150, []string{"green"}}, {"上海青", "vegetables", "长沙岳麓", 160, nil},
			{"菠菜", "vegetables", "长沙岳麓", 220, []string{"green"}}, {"红菜苔", "vegetables", "长沙望城", 350, []string{"geo"}},
			{"白萝卜", "vegetables", "长沙宁乡", 90, nil}, {"胡萝卜", "vegetables", "长沙宁乡", 130, nil},
			{"黄瓜", "vegetables", "长沙岳麓", 200, nil}, {"西红柿", "vegetables", "长沙岳麓", 260, []string{"green"}},
			{"茄子", "vegetables", "长沙浏阳", 210, nil}, {"辣椒", "vegetables", "长沙浏阳", 300, nil},
			{"螺丝椒", "vegetables", "长沙浏阳", 320, nil}, {"苦瓜", "vegetables", "长沙岳麓", 240, nil},
			{"丝瓜", "vegetables", "长沙岳麓", 230, nil}, {"冬瓜", "vegetables", "长沙宁乡", 80, nil},
			{"南瓜", "vegetables", "长沙宁乡", 100, nil}, {"土豆", "vegetables", "湖南邵阳", 120, nil},
			{"红薯", "vegetables", "湖南邵阳", 110, nil}, {"莲藕", "vegetables", "湖南湘潭", 280, []string{"geo"}},
			{"芹菜", "vegetables", "长沙岳麓", 190, nil}, {"韭菜", "vegetables", "长沙岳麓", 250, nil},
			{"蒜苗", "vegetables", "长沙望城", 300, nil}, {"生菜", "vegetables", "长沙岳麓", 210, []string{"green"}},
			{"空心菜", "vegetables", "长沙岳麓", 170, nil}, {"豆角", "vegetables", "长沙浏阳", 260, nil},
			{"香菇", "mushrooms", "湖南怀化", 600, nil}, {"平菇", "mushrooms", "长沙天心", 350, nil},
			{"杏鲍菇", "mushrooms", "长沙天心", 420, nil}, {"金针菇", "mushrooms", "长沙天心", 300, nil},
			{"茶树菇", "mushrooms", "湖南浏阳", 900, nil}, {"木耳", "mushrooms", "湖南湘西", 1500, nil},
			{"鸡枞菌", "mushrooms", "湖南湘西", 2500, nil}, {"蟹味菇", "mushrooms", "长沙天心", 480, nil},
		}},
	{Tenant: "changsha-coop", Shop: "wangcheng-rice", CodePrefix: "RICE", Specs: riceSpecs,
		Attributes: map[string]string{"保质期": "12个月", "储存": "阴凉干燥处"},
		Grades:     []gradeSeed{plain, {Prefix: "精选", CostPct: 130}},
		Items: []itemSeed{
			{"望城香米", "rice", "长沙望城", 250, nil}, {"丝苗米", "rice", "长沙望城", 280, nil},
			{"早稻米", "rice", "长沙宁乡", 200, nil}, {"晚稻米", "rice", "长沙宁乡", 230, nil},
			{"稻花香米", "rice", "长沙望城", 350, []string{"green"}}, {"富硒米", "rice", "湖南桃源", 450, nil},
			{"糙米", "rice", "长沙望城", 320, nil}, {"胚芽米", "rice", "长沙望城", 400, nil},
			{"糯米", "rice", "长沙宁乡", 380, nil}, {"黑米", "grains", "湖南常德", 600, nil},
			{"小米", "grains", "湖南常德", 550, nil}, {"绿豆", "grains", "湖南邵阳", 700, nil},
			{"红豆", "grains", "湖南邵阳", 750, nil}, {"薏米", "grains", "湖南常德", 900, nil},
			{"燕麦米", "grains", "湖南常德", 650, nil}, {"荞麦", "grains", "湖南邵阳", 600, nil},
		}},
	{Tenant: "changsha-coop", Shop: "wangcheng-rice", CodePrefix: "OIL", Specs: oilSpecs,
		Attributes: map[string]string{"保质期": "18个月", "工艺": "物理压榨"},
		Grades:     []gradeSeed{plain, {Prefix: "头道", CostPct: 140}},
		Items: []itemSeed{
			{"山茶油", "camellia-oil", "湖南浏阳", 3000, []string{"green"}}, {"菜籽油", "cooking-oil", "长沙宁乡", 800, nil},
			{"花生油", "cooking-oil", "湖南邵阳", 1200, nil}, {"芝麻油", "cooking-oil", "湖南常德", 2000, nil},
		}},
	{Tenant: "changsha-coop", Shop: "xiangguo-fruit", CodePrefix: "FRT", Specs: fruitSpecs,
		Attributes: map[string]string{"保存方式": "冷藏", "发货": "当季现摘"},
		Grades:     []gradeSeed{plain, {Prefix: "精品", CostPct: 140}},
		Items: []itemSeed{
			{"草莓", "strawberries", "长沙望城", 900, nil}, {"有机草莓", "strawberries", "长沙望城", 1500, []string{"organic"}},
			{"奶油草莓", "strawberries", "长沙望城", 1200, nil}, {"草莓干", "strawberries", "长沙望城", 2200, nil},
			{"炎陵黄桃", "melons", "株洲炎陵", 800, []string{"geo"}}, {"麻阳冰糖橙", "melons", "怀化麻阳", 450, []string{"geo"}},
			{"脐橙", "melons", "湖南新宁", 400, nil}, {"蜜橘", "melons", "湖南石门", 300, nil},
			{"西瓜", "melons", "长沙宁乡", 150, nil}, {"甜瓜", "melons", "长沙宁乡", 300, nil},
			{"哈密瓜", "melons", "长沙宁乡", 350, nil}, {"葡萄", "melons", "湖南澧县", 600, nil},
			{"猕猴桃", "melons", "湖南湘西", 550, []string{"geo"}}, {"杨梅", "melons", "湖南靖州", 900, []string{"geo"}},
			{"枇杷", "melons", "长沙岳麓", 800, nil}, {"李子", "melons", "湖南江永", 400, nil},
			{"水蜜桃", "melons", "长沙望城", 500, nil}, {"梨", "melons", "湖南洞口", 300, nil},
			{"红富士苹果", "apples", "湖南湘西", 450, nil}, {"冰糖心苹果", "apples", "湖南湘西", 550, nil},
			{"青苹果", "apples", "湖南湘西", 400, nil}, {"蓝莓", "melons", "湖南麻阳", 2000, nil},
			{"柚子", "melons", "湖南江永", 250, []string{"geo"}}, {"金桔", "melons", "湖南浏阳", 500, nil},
			{"柿子", "melons", "湖南张家界", 350, nil},
		}},
	{Tenant: "changsha-coop", Shop: "xiangcha-honey", CodePrefix: "TEA", Specs: dryGoods,
		Attributes: map[string]string{"保质期": "24个月", "储存": "密封防潮"},
		Grades:     []gradeSeed{plain, {Suffix: "礼盒装", CostPct: 150}},
		Items: []itemSeed{
			{"安化黑茶", "tea", "益阳安化", 4000, []string{"geo"}}, {"古丈毛尖", "tea", "湘西古丈", 8000, []string{"geo"}},
			{"君山银针", "tea", "岳阳君山", 12000, []string{"geo"}}, {"黄金茶", "tea", "湘西保靖", 9000, []string{"geo"}},
			{"长沙绿茶", "tea", "长沙", 3000, nil}, {"茯砖茶", "tea", "益阳安化", 2500, nil},
			{"桂花红茶", "tea", "湖南桃源", 3500, nil}, {"土蜂蜜", "honey", "湖南湘西", 3000, nil},
			{"百花蜜", "honey", "长沙浏阳", 2000, nil}, {"油菜花蜜", "honey", "长沙宁乡", 1800, nil},
			{"槐花蜜", "honey", "湖南张家界", 2500, nil}, {"枣花蜜", "honey", "湖南常德", 2200, nil},
			{"蜂巢蜜", "honey", "湖南湘西", 5000, nil}, {"湘潭湘莲", "local-specialty", "湖南湘潭", 3500, []string{"geo"}},
			{"攸县香干", "local-specialty", "株洲攸县", 800, nil}, {"浏阳豆豉", "local-specialty", "长沙浏阳", 600, []string{"geo"}},
			{"宁乡花猪腊肉", "local-specialty", "长沙宁乡", 4500, nil}, {"湘西腊肉", "local-specialty", "湖南湘西", 4000, nil},
		}},
	{Tenant: "changsha-coop", Shop: "flagship", CodePrefix: "FS", Specs: cardSpecs,
		Attributes: map[string]string{"配送": "长沙市内包邮", "有效期": "12个月"},
		Grades:     []gradeSeed{plain},
		Items: []itemSeed{
			{"家庭蔬菜周套餐", "meal-kits", "长沙", 3000, nil}, {"三口之家鲜食套餐", "meal-kits", "长沙", 5000, nil},
			{"有机蔬菜尝鲜套餐", "meal-kits", "长沙岳麓", 4500, []string{"organic"}}, {"火锅食材套餐", "meal-kits", "长沙", 6000, nil},
			{"湘味腊味礼包", "meal-kits", "湖南", 8000, nil}, {"草莓季水果套餐", "meal-kits", "长沙望城", 4000, nil},
			{"100元蔬菜提货卡", "pickup-cards", "长沙", 8000, nil}, {"200元粮油提货卡", "pickup-cards", "长沙", 16000, nil},
			{"500元年货提货卡", "pickup-cards", "长沙", 40000, nil}, {"1000元企业团购提货卡", "pickup-cards", "长沙", 80000, nil},
			{"惠农通300元充值卡", "stored-value-cards", "长沙", 27000, nil}, {"蔬菜包月配送", "monthly-delivery", "长沙", 15000, nil},
			{"水果包月配送", "monthly-delivery", "长沙", 20000, nil},
		}},
	{Tenant: "changsha-coop", Shop: "flagship", CodePrefix: "SUP", Specs: []specSeed{{"10枚", 600}, {"30枚", 1800}, {"60枚", 3600}},
		Attributes: map[string]string{"养殖": "林下散养"}, Grades: []gradeSeed{plain}, Supplier: true,
		Items: []itemSeed{
			{"农家土鸡蛋", "poultry", "长沙天心", 800, nil}, {"散养鸭蛋", "poultry", "长沙天心", 900, nil},
			{"乌鸡蛋", "poultry", "长沙天心", 1500, nil}, {"鹌鹑蛋", "poultry", "长沙天心", 500, nil},
			{"绿壳鸡蛋", "poultry", "长沙天心", 1200, []string{"green"}}, {"富硒鸡蛋", "poultry", "长沙天心", 1100, nil},
		}},
	{Tenant: "zhuzhou-coop", Shop: "yanling-peach", CodePrefix: "PEACH", Specs: fruitSpecs,
		Attributes: map[string]string{"上市": "7–8月", "发货": "产地直发"},
		Grades:     []gradeSeed{plain, {Prefix: "特级", CostPct: 150}},
		Items: []itemSeed{
			{"炎陵黄桃", "melons", "株洲炎陵", 800, []string{"geo"}}, {"锦绣黄桃", "melons", "株洲炎陵", 900, nil},
			{"黄桃罐头", "local-specialty", "株洲炎陵", 1000, nil}, {"黄桃干", "local-specialty", "株洲炎陵", 2400, nil},
			{"高山白桃", "melons", "株洲炎陵", 700, nil}, {"炎陵杨梅", "melons", "株洲炎陵", 900, nil},
		}},
	{Tenant: "zhuzhou-coop", Shop: "zhuzhou-grain", CodePrefix: "ZZ", Specs: dryGoods,
		Attributes: map[string]string{"保质期": "12个月"},
		Grades:     []gradeSeed{plain, {Prefix: "精选", CostPct: 130}},
		Items: []itemSeed{
			{"攸县香干", "local-specialty", "株洲攸县", 800, nil}, {"醴陵茶油", "camellia-oil", "株洲醴陵", 3000, []string{"geo"}},
			{"株洲大米", "rice", "株洲渌口", 250, nil}, {"茶陵大蒜", "vegetables", "株洲茶陵", 600, []string{"geo"}},
			{"炎陵笋干", "local-specialty", "株洲炎陵", 3500, nil}, {"醴陵辣椒酱", "local-specialty", "株洲醴陵", 1200, nil},
			{"攸县麻鸭", "poultry", "株洲攸县", 2000, nil}, {"茶陵紫皮蒜", "vegetables", "株洲茶陵", 700, nil},
		}},
}
