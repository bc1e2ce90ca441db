package seeds

// DemoPassword is the password of every demo account. Demo marketplaces
// are for trying Jishi out; never seed them into a production database.
const DemoPassword = "jishi-demo-2026"

// PlatformAdminEmail is the demo platform admin's login.
const PlatformAdminEmail = "admin@jishi.local"

type tenantSeed struct {
	Slug, Name   string
	City         regionSeed
	Districts    []regionSeed
	Announcement string
	Users        []userSeed
	Shops        []shopSeed
	Pending      []shopSeed // applications left for the tenant admin to review
}

type regionSeed struct{ Code, Name string }

type userSeed struct {
	Role, Email, Phone, Name string
	// Region is the district code of a region manager or pickup operator.
	Region string
	// Shop is the slug of the shop a merchant account owns or staffs.
	Shop string
}

type shopSeed struct {
	Slug, Name, Owner, Region string
	Categories                []string
	ExpectedProducts          int
	Licence                   string
	ContactName, Phone        string
	Description               string
	ServicePromises           string
	ReturnsPolicy             string
	ThemeColor                string
	Announcement              string
}

var demo = []tenantSeed{
	{
		Slug: "changsha-coop", Name: "网上供销社·长沙",
		City:         regionSeed{"changsha", "长沙市"},
		Announcement: "草莓季：长沙本地草莓每日现摘，14:00 前下单当天送达。",
		Districts: []regionSeed{
			{"yuelu", "岳麓区"}, {"furong", "芙蓉区"}, {"tianxin", "天心区"},
			{"kaifu", "开福区"}, {"yuhua", "雨花区"}, {"wangcheng", "望城区"},
		},
		Users: []userSeed{
			{Role: "tenant_admin", Email: "admin@changsha-coop.local", Phone: "13800000001", Name: "长沙供销社管理员"},
			{Role: "region_manager", Email: "yuelu@changsha-coop.local", Phone: "13800000002", Name: "岳麓区经理", Region: "yuelu"},
			{Role: "merchant_owner", Email: "veg@changsha-coop.local", Phone: "13800000003", Name: "岳麓蔬菜基地 王场长", Shop: "yuelu-veg"},
			{Role: "merchant_owner", Email: "rice@changsha-coop.local", Phone: "13800000004", Name: "望城米油 李经理", Shop: "wangcheng-rice"},
			{Role: "merchant_owner", Email: "fruit@changsha-coop.local", Phone: "13800000005", Name: "鲜果园 张老板", Shop: "xiangguo-fruit"},
			{Role: "merchant_owner", Email: "tea@changsha-coop.local", Phone: "13800000006", Name: "湘茶蜂蜜 刘掌柜", Shop: "xiangcha-honey"},
			{Role: "merchant_staff", Email: "veg-staff@changsha-coop.local", Phone: "13800000007", Name: "蔬菜基地 店员小陈", Shop: "yuelu-veg"},
			{Role: "pickup_operator", Email: "pickup@changsha-coop.local", Phone: "13800000008", Name: "麓山社区服务中心", Region: "yuelu"},
			{Role: "shopper", Email: "shopper@changsha-coop.local", Phone: "13800000009", Name: "会员 周女士"},
			{Role: "wholesale_agent", Email: "agent@changsha-coop.local", Phone: "13800000012", Name: "授权代理 孙老板"},
			{Role: "applicant", Email: "applicant@changsha-coop.local", Phone: "13800000010", Name: "天心菌菇合作社 赵社长"},
		},
		Shops: []shopSeed{
			{Slug: "yuelu-veg", Name: "岳麓蔬菜基地", Owner: "veg@changsha-coop.local", Region: "yuelu",
				Categories: []string{"fresh"}, ExpectedProducts: 60, Licence: "91430104MA4L0XYN1K", ContactName: "王场长", Phone: "13800000003",
				Description: "岳麓山下的绿色蔬菜基地，每天清晨采摘，当天送达。", ServicePromises: "当日采摘 · 残农检测 · 坏单包赔",
				ReturnsPolicy: "生鲜签收后24小时内有质量问题，拍照即可退款。", ThemeColor: "#2e7d32", Announcement: "每日14:00截单，当天配送。"},
			{Slug: "wangcheng-rice", Name: "望城稻香米油", Owner: "rice@changsha-coop.local", Region: "wangcheng",
				Categories: []string{"grain-oil"}, ExpectedProducts: 30, Licence: "91430112MA4M1ABC2D", ContactName: "李经理", Phone: "13800000004",
				Description: "望城本地大米、茶油、杂粮，产地直供。", ServicePromises: "产地直供 · 10公斤起整箱发货",
				ReturnsPolicy: "未拆封商品7天无理由退货。", ThemeColor: "#c77c02", Announcement: "新米上市，欢迎品尝。"},
			{Slug: "xiangguo-fruit", Name: "湘果鲜果园", Owner: "fruit@changsha-coop.local", Region: "furong",
				Categories: []string{"fruit"}, ExpectedProducts: 40, Licence: "91430102MA4N2DEF3G", ContactName: "张老板", Phone: "13800000005",
				Description: "长沙草莓、炎陵黄桃、麻阳冰糖橙，当季鲜果。", ServicePromises: "当季鲜果 · 坏果包赔",
				ReturnsPolicy: "收到坏果请在24小时内联系客服。", ThemeColor: "#d81b60", Announcement: "草莓季开始啦！"},
			{Slug: "xiangcha-honey", Name: "湘茶蜂蜜特产", Owner: "tea@changsha-coop.local", Region: "kaifu",
				Categories: []string{"specialty"}, ExpectedProducts: 25, Licence: "91430105MA4P3GHJ4K", ContactName: "刘掌柜", Phone: "13800000006",
				Description: "安化黑茶、古丈毛尖、土蜂蜜，湖南名优特产。", ServicePromises: "正品保证 · 可开发票",
				ReturnsPolicy: "未拆封商品7天无理由退货。", ThemeColor: "#6d4c41", Announcement: "企业团购请联系客服。"},
		},
		Pending: []shopSeed{
			{Slug: "tianxin-mushroom", Name: "天心农家菌菇", Owner: "applicant@changsha-coop.local", Region: "tianxin",
				Categories: []string{"fresh"}, ExpectedProducts: 20, Licence: "93430103MA4Q4JKL5M", ContactName: "赵社长", Phone: "13800000010",
				Description: "香菇、平菇、杏鲍菇，合作社自产。"},
		},
	},
	{
		Slug: "zhuzhou-coop", Name: "网上供销社·株洲",
		City: regionSeed{"zhuzhou", "株洲市"},
		Districts: []regionSeed{
			{"tianyuan", "天元区"}, {"hetang", "荷塘区"}, {"lusong", "芦淞区"}, {"shifeng", "石峰区"}, {"lukou", "渌口区"},
		},
		Users: []userSeed{
			{Role: "tenant_admin", Email: "admin@zhuzhou-coop.local", Phone: "13900000001", Name: "株洲供销社管理员"},
			{Role: "merchant_owner", Email: "peach@zhuzhou-coop.local", Phone: "13900000002", Name: "炎陵黄桃 陈老板", Shop: "yanling-peach"},
			{Role: "merchant_owner", Email: "grain@zhuzhou-coop.local", Phone: "13900000003", Name: "株洲粮油 黄经理", Shop: "zhuzhou-grain"},
			{Role: "shopper", Email: "shopper@zhuzhou-coop.local", Phone: "13900000004", Name: "会员 吴先生"},
		},
		Shops: []shopSeed{
			{Slug: "yanling-peach", Name: "炎陵黄桃园", Owner: "peach@zhuzhou-coop.local", Region: "tianyuan",
				Categories: []string{"fruit"}, ExpectedProducts: 15, Licence: "91430211MA4R5MNP6P", ContactName: "陈老板", Phone: "13900000002",
				Description: "炎陵高山黄桃，七月上市。", ServicePromises: "产地直发 · 坏果包赔", ReturnsPolicy: "收到坏果请在24小时内联系客服。",
				ThemeColor: "#f9a825", Announcement: "黄桃预售中。"},
			{Slug: "zhuzhou-grain", Name: "株洲粮油店", Owner: "grain@zhuzhou-coop.local", Region: "hetang",
				Categories: []string{"grain-oil"}, ExpectedProducts: 20, Licence: "91430202MA4T6PQR7T", ContactName: "黄经理", Phone: "13900000003",
				Description: "攸县香干、醴陵茶油、本地大米。", ServicePromises: "产地直供", ReturnsPolicy: "未拆封商品7天无理由退货。",
				ThemeColor: "#558b2f", Announcement: ""},
		},
	},
}
