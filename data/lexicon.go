package data

// Lexicons of the sentence generator. Khmer spellings follow common modern
// usage; romanisations follow the usual Cambodian forms (family name first).

type name struct{ en, km string }

// givenNames are Khmer given names. Names that are also common words or
// month names (e.g. Makara, Kanha, Seyha) are left out so that "who" and
// "when" never collide.
var givenNames = []name{
	{"Sokha", "សុខា"}, {"Dara", "ដារ៉ា"}, {"Sophea", "សុភា"}, {"Chantha", "ចាន់ថា"},
	{"Vanna", "វណ្ណា"}, {"Sophal", "សុផល"}, {"Rathana", "រតនា"}, {"Bopha", "បុប្ផា"},
	{"Sovann", "សុវណ្ណ"}, {"Piseth", "ពិសិដ្ឋ"}, {"Vichet", "វិចិត្រ"}, {"Chantrea", "ចន្ទ្រា"},
	{"Sreypov", "ស្រីពៅ"}, {"Samnang", "សំណាង"}, {"Visal", "វិសាល"}, {"Sotheary", "សុធារី"},
	{"Theary", "ធារី"}, {"Pisey", "ពិសី"}, {"Reaksmey", "រស្មី"}, {"Sina", "ស៊ីណា"},
	{"Neary", "នារី"}, {"Bora", "បូរ៉ា"}, {"Vuthy", "វុទ្ធី"}, {"Samphors", "សម្ផស្ស"},
	{"Socheata", "សុជាតា"}, {"Dalin", "ដាលីន"}, {"Maly", "ម៉ាលី"}, {"Lida", "លីដា"},
	{"Sokunthea", "សុគន្ធា"}, {"Veasna", "វាសនា"}, {"Sopheak", "សុភ័ក្ត្រ"}, {"Oudom", "ឧត្តម"},
	{"Serey", "សេរី"}, {"Chenda", "ចិន្តា"}, {"Thida", "ធីតា"}, {"Ratha", "រដ្ឋា"},
	{"Kimheng", "គឹមហេង"}, {"Sokheng", "សុខហេង"}, {"Rithy", "ឫទ្ធី"}, {"Sothea", "សុធា"},
	{"Chamroeun", "ចម្រើន"}, {"Kosal", "កុសល"}, {"Phirum", "ភិរម្យ"}, {"Sambath", "សម្បត្តិ"},
	{"Monyroth", "មុនីរ័ត្ន"}, {"Nimol", "និមល"}, {"Sreymom", "ស្រីមុំ"}, {"Sreyleak", "ស្រីល័ក្ខ"},
	{"Channary", "ចាន់ណារី"}, {"Kunthea", "គន្ធា"}, {"Phalla", "ផល្លា"}, {"Vannak", "វណ្ណៈ"},
	{"Narith", "ណារិទ្ធ"}, {"Davy", "ដាវី"}, {"Sovannara", "សុវណ្ណារ៉ា"}, {"Bunthoeun", "ប៊ុនធឿន"},
	{"Mealea", "មាលា"}, {"Leakhena", "លក្ខិណា"}, {"Chivorn", "ជីវ័ន"}, {"Vibol", "វិបុល"},
}

// devGivenNames are real Khmer given names that no generated corpus holds
// (training, dev or test), reserved for development questions: a dev
// question renamed with one ([DevGivenNames]) names a real person no model
// trained on, as every test question does, with the usual English spelling
// as its answer. None is a month or a word of the generator's sentences,
// and none can be spelt by the two-syllable pseudo-names of the simple
// alphabet (tested), so no pseudo-named training task holds one.
var devGivenNames = []name{
	{"Sreyneang", "ស្រីនាង"}, {"Vicheka", "វិចិកា"}, {"Chandara", "ចាន់ដារ៉ា"}, {"Ratanak", "រតនៈ"},
	{"Sokly", "សុខលី"}, {"Kimly", "គឹមលី"}, {"Nara", "ណារ៉ា"}, {"Manith", "ម៉ានិត"},
	{"Bunna", "ប៊ុនណា"}, {"Sophanith", "សុផានិត"}, {"Vannda", "វណ្ណដា"},
	{"Sreynoch", "ស្រីណុច"}, {"Lina", "លីណា"},
	{"Sovath", "សុវត្ថិ"}, {"Sokchan", "សុខចាន់"}, {"Chanthou", "ចាន់ធូ"},
	{"Sreymao", "ស្រីម៉ៅ"}, {"Bunthan", "ប៊ុនថន"},
	{"Navy", "ណាវី"}, {"Rasy", "រ៉ាសី"},
	{"Kunthy", "គន្ធី"}, {"Panharith", "បញ្ញារិទ្ធ"}, {"Sreyroth", "ស្រីរ័ត្ន"}, {"Chanmony", "ចាន់មុន្នី"},
	{"Kimsan", "គឹមសាន"},
}

// familyNames are common Khmer family names.
var familyNames = []name{
	{"Sok", "សុខ"}, {"Chan", "ចាន់"}, {"Heng", "ហេង"}, {"Ly", "លី"}, {"Kim", "គឹម"},
	{"Mao", "ម៉ៅ"}, {"Sun", "ស៊ុន"}, {"Tep", "ទេព"}, {"Chea", "ជា"}, {"Nhem", "ញឹម"},
	{"Seng", "សេង"}, {"Sam", "សំ"}, {"Bun", "ប៊ុន"}, {"Khiev", "ខៀវ"}, {"Nuon", "នួន"},
	{"Ouk", "អ៊ុក"}, {"Pech", "ពេជ្រ"}, {"Yim", "យឹម"}, {"Meas", "មាស"}, {"Long", "ឡុង"},
	{"Touch", "ទូច"}, {"Keo", "កែវ"}, {"Im", "អ៊ឹម"}, {"Sao", "សៅ"}, {"Vong", "វង្ស"},
	{"Prak", "ប្រាក់"}, {"Chhay", "ឆាយ"}, {"Ros", "រស់"}, {"Men", "ម៉ែន"}, {"Chhim", "ឈឹម"},
	{"Eng", "អេង"}, {"Tan", "តាន់"},
}

// place is a location. prep is the English preposition for "being there"
// ("in Kampot", "at Angkor Wat").
type place struct {
	en, km   string
	prep     string
	domestic bool
}

var places = []place{
	{"Phnom Penh", "រាជធានីភ្នំពេញ", "in", true},
	{"Siem Reap", "ខេត្តសៀមរាប", "in", true},
	{"Battambang", "ខេត្តបាត់ដំបង", "in", true},
	{"Kampot", "ខេត្តកំពត", "in", true},
	{"Kep", "ខេត្តកែប", "in", true},
	{"Sihanoukville", "ក្រុងព្រះសីហនុ", "in", true},
	{"Kampong Cham", "ខេត្តកំពង់ចាម", "in", true},
	{"Kampong Thom", "ខេត្តកំពង់ធំ", "in", true},
	{"Kampong Speu", "ខេត្តកំពង់ស្ពឺ", "in", true},
	{"Kampong Chhnang", "ខេត្តកំពង់ឆ្នាំង", "in", true},
	{"Takeo", "ខេត្តតាកែវ", "in", true},
	{"Prey Veng", "ខេត្តព្រៃវែង", "in", true},
	{"Svay Rieng", "ខេត្តស្វាយរៀង", "in", true},
	{"Kandal", "ខេត្តកណ្ដាល", "in", true},
	{"Kratie", "ខេត្តក្រចេះ", "in", true},
	{"Stung Treng", "ខេត្តស្ទឹងត្រែង", "in", true},
	{"Ratanakiri", "ខេត្តរតនគិរី", "in", true},
	{"Mondulkiri", "ខេត្តមណ្ឌលគិរី", "in", true},
	{"Pursat", "ខេត្តពោធិ៍សាត់", "in", true},
	{"Koh Kong", "ខេត្តកោះកុង", "in", true},
	{"Preah Vihear", "ខេត្តព្រះវិហារ", "in", true},
	{"Oddar Meanchey", "ខេត្តឧត្ដរមានជ័យ", "in", true},
	{"Banteay Meanchey", "ខេត្តបន្ទាយមានជ័យ", "in", true},
	{"Pailin", "ខេត្តប៉ៃលិន", "in", true},
	{"Tbong Khmum", "ខេត្តត្បូងឃ្មុំ", "in", true},
	{"Poipet", "ក្រុងប៉ោយប៉ែត", "in", true},
	{"Angkor Wat", "ប្រាសាទអង្គរវត្ត", "at", true},
	{"Bayon Temple", "ប្រាសាទបាយ័ន", "at", true},
	{"Wat Phnom", "វត្តភ្នំ", "at", true},
	{"Bokor Mountain", "ភ្នំបូកគោ", "on", true},
	{"Phnom Kulen", "ភ្នំគូលែន", "on", true},
	{"Koh Rong", "កោះរ៉ុង", "on", true},
	{"Bangkok", "ទីក្រុងបាងកក", "in", false},
	{"Hanoi", "ទីក្រុងហាណូយ", "in", false},
	{"Ho Chi Minh City", "ទីក្រុងហូជីមិញ", "in", false},
	{"Vientiane", "ទីក្រុងវៀងចន្ទន៍", "in", false},
	{"Singapore", "សិង្ហបុរី", "in", false},
	{"Kuala Lumpur", "ទីក្រុងកូឡាឡាំពួ", "in", false},
	{"Tokyo", "ទីក្រុងតូក្យូ", "in", false},
	{"Seoul", "ទីក្រុងសេអ៊ូល", "in", false},
	{"Beijing", "ទីក្រុងប៉េកាំង", "in", false},
	{"Paris", "ទីក្រុងប៉ារីស", "in", false},
	{"London", "ទីក្រុងឡុងដ៍", "in", false},
	{"New York", "ទីក្រុងញូវយ៉ក", "in", false},
	{"Sydney", "ទីក្រុងស៊ីដនី", "in", false},
	{"Thailand", "ប្រទេសថៃ", "in", false},
	{"Vietnam", "ប្រទេសវៀតណាម", "in", false},
	{"Laos", "ប្រទេសឡាវ", "in", false},
	{"Japan", "ប្រទេសជប៉ុន", "in", false},
	{"France", "ប្រទេសបារាំង", "in", false},
	{"Australia", "ប្រទេសអូស្ត្រាលី", "in", false},
}

// item is a countable object. clf is its Khmer classifier; the flags say
// which actions make sense with it.
type item struct {
	en, plural, article string
	km, clf             string
	machine, animal     bool
	building, paintable bool
}

var items = []item{
	{"bicycle", "bicycles", "a", "កង់", "គ្រឿង", true, false, false, true},
	{"motorbike", "motorbikes", "a", "ម៉ូតូ", "គ្រឿង", true, false, false, true},
	{"mobile phone", "mobile phones", "a", "ទូរស័ព្ទដៃ", "គ្រឿង", true, false, false, false},
	{"computer", "computers", "a", "កុំព្យូទ័រ", "គ្រឿង", true, false, false, false},
	{"radio", "radios", "a", "វិទ្យុ", "គ្រឿង", true, false, false, false},
	{"television", "televisions", "a", "ទូរទស្សន៍", "គ្រឿង", true, false, false, false},
	{"car", "cars", "a", "ឡាន", "គ្រឿង", true, false, false, true},
	{"tractor", "tractors", "a", "ត្រាក់ទ័រ", "គ្រឿង", true, false, false, true},
	{"boat", "boats", "a", "ទូក", "គ្រឿង", true, false, false, true},
	{"refrigerator", "refrigerators", "a", "ទូទឹកកក", "គ្រឿង", true, false, false, false},
	{"sewing machine", "sewing machines", "a", "ម៉ាស៊ីនដេរ", "គ្រឿង", true, false, false, false},
	{"camera", "cameras", "a", "កាមេរ៉ា", "គ្រឿង", true, false, false, false},
	{"water pump", "water pumps", "a", "ម៉ាស៊ីនបូមទឹក", "គ្រឿង", true, false, false, false},
	{"book", "books", "a", "សៀវភៅ", "ក្បាល", false, false, false, false},
	{"cow", "cows", "a", "គោ", "ក្បាល", false, true, false, false},
	{"buffalo", "buffaloes", "a", "ក្របី", "ក្បាល", false, true, false, false},
	{"pig", "pigs", "a", "ជ្រូក", "ក្បាល", false, true, false, false},
	{"house", "houses", "a", "ផ្ទះ", "ខ្នង", false, false, true, true},
	{"pen", "pens", "a", "ប៊ិច", "ដើម", false, false, false, false},
	{"solar panel", "solar panels", "a", "ផ្ទាំងសូឡា", "ផ្ទាំង", true, false, false, false},
}

// action is a transitive verb usable with items.
type action struct {
	past, future, base string // English: "repaired", "will repair", "repair"
	km                 string
	ok                 func(item) bool
}

var actions = []action{
	{"repaired", "will repair", "repair", "ជួសជុល", func(i item) bool { return i.machine || i.building }},
	{"bought", "will buy", "buy", "ទិញ", func(item) bool { return true }},
	{"sold", "will sell", "sell", "លក់", func(item) bool { return true }},
	{"borrowed", "will borrow", "borrow", "ខ្ចី", func(i item) bool { return !i.animal && !i.building }},
	{"cleaned", "will clean", "clean", "សម្អាត", func(i item) bool { return i.machine || i.building }},
	{"painted", "will paint", "paint", "លាបពណ៌", func(i item) bool { return i.paintable }},
}

// food is a mass or plural noun sold by weight.
type food struct{ en, km string }

var foods = []food{
	{"rice", "អង្ករ"}, {"fish", "ត្រី"}, {"mangoes", "ស្វាយ"}, {"pepper", "ម្រេច"},
	{"coffee", "កាហ្វេ"}, {"sugar", "ស្ករ"}, {"corn", "ពោត"}, {"cassava", "ដំឡូងមី"},
	{"pork", "សាច់ជ្រូក"}, {"beef", "សាច់គោ"}, {"chicken", "សាច់មាន់"}, {"bananas", "ចេក"},
	{"durian", "ធូរេន"}, {"palm sugar", "ស្ករត្នោត"}, {"salt", "អំបិល"},
	{"cashew nuts", "គ្រាប់ស្វាយចន្ទី"}, {"soybeans", "សណ្ដែកសៀង"},
}

// crops are harvested by the tonne and planted by the hectare.
var crops = []food{
	{"rice", "ស្រូវ"}, {"cassava", "ដំឡូងមី"}, {"corn", "ពោត"}, {"mangoes", "ស្វាយ"},
	{"pepper", "ម្រេច"}, {"cashew nuts", "គ្រាប់ស្វាយចន្ទី"}, {"sugarcane", "អំពៅ"},
	{"bananas", "ចេក"}, {"soybeans", "សណ្ដែកសៀង"}, {"coffee", "កាហ្វេ"},
}

// event is something people attend.
type event struct{ en, km string }

var events = []event{
	{"Water Festival", "បុណ្យអុំទូក"}, {"Khmer New Year celebration", "ពិធីបុណ្យចូលឆ្នាំខ្មែរ"},
	{"football match", "ការប្រកួតបាល់ទាត់"}, {"book fair", "ពិព័រណ៍សៀវភៅ"},
	{"concert", "ការប្រគុំតន្ត្រី"}, {"marathon", "ការរត់ម៉ារ៉ាតុង"}, {"conference", "សន្និសីទ"},
	{"food festival", "មហោស្រពម្ហូបអាហារ"}, {"trade fair", "ពិព័រណ៍ពាណិជ្ជកម្ម"},
	{"Pchum Ben ceremony", "ពិធីបុណ្យភ្ជុំបិណ្ឌ"},
}

// job is an occupation; article is "a" or "an".
type job struct{ en, article, km string }

var jobs = []job{
	{"teacher", "a", "គ្រូបង្រៀន"}, {"doctor", "a", "វេជ្ជបណ្ឌិត"}, {"nurse", "a", "គិលានុបដ្ឋាក"},
	{"farmer", "a", "កសិករ"}, {"engineer", "an", "វិស្វករ"}, {"driver", "a", "អ្នកបើកបរ"},
	{"police officer", "a", "មន្ត្រីប៉ូលិស"}, {"journalist", "a", "អ្នកសារព័ត៌មាន"},
	{"cook", "a", "ចុងភៅ"}, {"tour guide", "a", "មគ្គុទ្ទេសក៍ទេសចរណ៍"},
	{"accountant", "an", "គណនេយ្យករ"}, {"tailor", "a", "ជាងកាត់ដេរ"},
	{"mechanic", "a", "ជាងម៉ាស៊ីន"}, {"carpenter", "a", "ជាងឈើ"},
	{"pharmacist", "a", "ឱសថការី"}, {"lawyer", "a", "មេធាវី"},
}

// facility has members counted with a Khmer classifier: memberKm is the
// Khmer noun for the members ("" when the classifier alone names them).
type facility struct {
	en, km                 string
	members, memberKm, clf string
	min, max               float64
	usesPower              bool
}

var facilities = []facility{
	{"school", "សាលារៀន", "students", "សិស្ស", "នាក់", 40, 5000, true},
	{"university", "សាកលវិទ្យាល័យ", "students", "និស្សិត", "នាក់", 300, 40000, true},
	{"factory", "រោងចក្រ", "workers", "កម្មករ", "នាក់", 20, 9000, true},
	{"hospital", "មន្ទីរពេទ្យ", "doctors", "វេជ្ជបណ្ឌិត", "នាក់", 5, 400, true},
	{"company", "ក្រុមហ៊ុន", "employees", "បុគ្គលិក", "នាក់", 8, 6000, true},
	{"village", "ភូមិ", "families", "", "គ្រួសារ", 20, 900, false},
	{"pagoda", "វត្ត", "monks", "ព្រះសង្ឃ", "អង្គ", 5, 250, false},
	{"hotel", "សណ្ឋាគារ", "rooms", "បន្ទប់", "", 10, 800, true},
	{"market", "ផ្សារ", "stalls", "តូប", "", 30, 3000, true},
}

// plant is an electricity generator.
type plant struct{ en, km string }

var plants = []plant{
	{"solar farm", "កសិដ្ឋានថាមពលពន្លឺព្រះអាទិត្យ"}, {"wind farm", "កសិដ្ឋានថាមពលខ្យល់"},
	{"hydropower dam", "ទំនប់វារីអគ្គិសនី"}, {"power plant", "រោងចក្រអគ្គិសនី"},
	{"biomass power plant", "រោងចក្រអគ្គិសនីជីវម៉ាស"},
}

var monthsEn = []string{"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}
var monthsKm = []string{"មករា", "កុម្ភៈ", "មីនា", "មេសា", "ឧសភា", "មិថុនា", "កក្កដា",
	"សីហា", "កញ្ញា", "តុលា", "វិច្ឆិកា", "ធ្នូ"}
var weekdaysEn = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
var weekdaysKm = []string{"ច័ន្ទ", "អង្គារ", "ពុធ", "ព្រហស្បតិ៍", "សុក្រ", "សៅរ៍", "អាទិត្យ"}

// relTime is a relative time expression ("yesterday", "next week").
type relTime struct{ en, km string }

var relPast = []relTime{
	{"yesterday", "កាលពីម្សិលមិញ"}, {"last week", "កាលពីសប្តាហ៍មុន"},
	{"last month", "កាលពីខែមុន"}, {"last year", "កាលពីឆ្នាំមុន"}, {"this morning", "កាលពីព្រឹកមិញ"},
}
var relFuture = []relTime{
	{"tomorrow", "នៅថ្ងៃស្អែក"}, {"next week", "នៅសប្តាហ៍ក្រោយ"},
	{"next month", "នៅខែក្រោយ"}, {"next year", "នៅឆ្នាំក្រោយ"},
}
