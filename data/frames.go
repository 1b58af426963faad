package data

// Sentence frames. Every English paraphrase of a frame means the same as
// every Khmer paraphrase, so the generator picks them independently.
//
// Placeholders (English): {P} {P2} person, {L} {L2} place, {inL} "in/at/on
// place", {D} time phrase, {Q} quantity ("30 MW", "30 megawatts"), {aQa}
// "a 30-megawatt"/"a 30 MW" (article + adjectival quantity), {N} number,
// {Uw} unit word, {O} "a bicycle", {I} item, {Is} items, {F} food or crop,
// {E} event, {J} "a teacher", {Jn} "teacher", {X} facility, {M} members,
// {K} power plant, {A} action in the sentence's tense, {Ab} action base form,
// {Up} "rose"/"fell", {Upb} "rise"/"fall", {V:past|future} tense choice.
// Khmer: the same names, plus {T} (បាន past, នឹង future), {C} classifier,
// {Mk} member noun, {Ak} action verb, {Upk} rise/fall verb.

type qspec struct{ kind, tmpl, ans string }

type frame struct {
	name   string
	weight int
	tenses string // "p" past, "f" future, "pf" either, "n" none (present)
	person int    // number of people named
	place  string // "", "any", "in", "dom", "domin"
	place2 bool   // a second, different domestic "in" place (origin)
	date   bool
	units  []string // unit keys for {Q}/{N}; empty: no number
	lo, hi float64  // value range override (0: the unit's)
	noun   string   // "item", "item2", "food", "crop", "event", "job", "facility", "powerfac", "plant", "action"
	en, km []string
	qs     []qspec
}

var frames = []frame{
	{name: "travel", weight: 6, tenses: "pf", person: 1, place: "any", date: true,
		en: []string{"{P} {V:travelled|will travel} to {L} {D}.", "{D}, {P} {V:went|will go} to {L}.", "{P} {V:made|will make} a trip to {L} {D}."},
		km: []string{"{P}{T}ធ្វើដំណើរទៅ{L} {D}។", "{D} {P}{T}ទៅ{L}។", "{P}{T}ធ្វើដំណើរទៅកាន់{L} {D}។"},
		qs: []qspec{{"who", "Who {V:travelled|will travel} to {L}?", "P"}, {"where", "Where {V:did|will} {P} travel to?", "L"}, {"when", "When {V:did|will} {P} travel to {L}?", "D"}}},
	{name: "drive", weight: 5, tenses: "pf", person: 1, place: "domin", place2: true, date: true, units: []string{"km"},
		en: []string{"{P} {V:drove|will drive} {Q} from {L2} to {L} {D}.", "{D}, {P} {V:drove|will drive} {Q} from {L2} to {L}."},
		km: []string{"{P}{T}បើកបរចម្ងាយ{Q}ពី{L2}ទៅ{L} {D}។", "{D} {P}{T}បើកបរពី{L2}ទៅ{L} ចម្ងាយ{Q}។"},
		qs: []qspec{{"how_many", "How many kilometres {V:did|will} {P} drive?", "N"}, {"where", "Where {V:did|will} {P} drive to?", "L"}, {"who", "Who {V:drove|will drive} from {L2} to {L}?", "P"}, {"when", "When {V:did|will} {P} drive to {L}?", "D"}}},
	{name: "buy_food", weight: 6, tenses: "p", person: 1, place: "domin", date: true, units: []string{"kg"}, noun: "food",
		en: []string{"{P} bought {Q} of {F} at the market in {L} {D}.", "{D}, {P} bought {Q} of {F} at a market in {L}."},
		km: []string{"{P}បានទិញ{F}{Q}នៅផ្សារក្នុង{L} {D}។", "{D} {P}បានទិញ{F}ចំនួន{Q}នៅផ្សារមួយក្នុង{L}។"},
		qs: []qspec{{"what", "What did {P} buy?", "F"}, {"how_many", "How many kilograms of {F} did {P} buy?", "N"}, {"who", "Who bought {F} in {L}?", "P"}, {"where", "Where did {P} buy the {F}?", "L"}, {"when", "When did {P} buy the {F}?", "D"}}},
	{name: "pay_item", weight: 6, tenses: "p", person: 1, date: true, units: []string{"USD", "riel"}, noun: "item",
		en: []string{"{P} paid {Q} for {O} {D}.", "{P} bought {O} for {Q} {D}.", "{D}, {P} spent {Q} on {O}."},
		km: []string{"{P}បានចំណាយ{Q}ដើម្បីទិញ{O} {D}។", "{P}បានទិញ{O}ក្នុងតម្លៃ{Q} {D}។", "{D} {P}បានចំណាយប្រាក់{Q}ទិញ{O}។"},
		qs: []qspec{{"what", "What did {P} buy?", "I"}, {"how_many", "How many {Uw} did {P} pay for the {I}?", "N"}, {"who", "Who bought {O}?", "P"}, {"when", "When did {P} buy the {I}?", "D"}}},
	{name: "sell_items", weight: 5, tenses: "pf", person: 1, place: "domin", date: true, units: []string{"count"}, lo: 2, hi: 300, noun: "item2",
		en: []string{"{P} {V:sold|will sell} {N} {Is} in {L} {D}.", "{D}, {P} {V:sold|will sell} {N} {Is} at the market in {L}."},
		km: []string{"{P}{T}លក់{I}{N}{C}នៅ{L} {D}។", "{D} {P}{T}លក់{I}ចំនួន{N}{C}នៅផ្សារក្នុង{L}។"},
		qs: []qspec{{"how_many", "How many {Is} {V:did|will} {P} sell?", "N"}, {"what", "What {V:did {P} sell|will {P} sell}?", "Is"}, {"who", "Who {V:sold|will sell} {Is} in {L}?", "P"}, {"where", "Where {V:did|will} {P} sell the {Is}?", "L"}, {"when", "When {V:did|will} {P} sell the {Is}?", "D"}}},
	{name: "plant_capacity", weight: 5, tenses: "n", place: "domin", units: []string{"MW", "MW", "kW"}, noun: "plant",
		en: []string{"The {K} in {L} produces {Q} of electricity.", "The {K} in {L} generates {Q} of electricity.", "In {L}, the {K} produces {Q} of electricity."},
		km: []string{"{K}នៅ{L}ផលិតអគ្គិសនីបាន{Q}។", "{K}នៅ{L}ផលិតថាមពលអគ្គិសនី{Q}។", "នៅ{L} {K}ផលិតអគ្គិសនីបាន{Q}។"},
		qs: []qspec{{"where", "Where is the {K}?", "L"}, {"how_many", "How many {Uw} does the {K} produce?", "N"}, {"what", "What kind of power station is described in the passage?", "K"}}},
	{name: "plant_open", weight: 5, tenses: "pf", place: "domin", date: true, units: []string{"MW", "MW", "kW"}, noun: "plant",
		en: []string{"{aQa} {K} {V:opened|will open} in {L} {D}.", "{D}, {aQa} {K} {V:opened|will open} in {L}.", "{aK} with a capacity of {Q} {V:began|will begin} operating in {L} {D}."},
		km: []string{"{K}ដែលមានសមត្ថភាព{Q}{T}ចាប់ផ្តើមដំណើរការនៅ{L} {D}។", "{D} {K}ដែលមានសមត្ថភាព{Q}{T}ចាប់ផ្តើមដំណើរការនៅ{L}។"},
		qs: []qspec{{"when", "When {V:did|will} the {K} in {L} open?", "D"}, {"where", "Where {V:did|will} the {K} open?", "L"}, {"how_many", "How many {Uw} can the {K} produce?", "N"}}},
	{name: "price_change", weight: 6, tenses: "p", place: "domin", date: true, units: []string{"%"}, noun: "food",
		en: []string{"The price of {F} in {L} {Up} by {Q} {D}.", "{D}, the price of {F} in {L} {Up} by {Q}."},
		km: []string{"តម្លៃ{F}នៅ{L}បាន{Upk}{Q} {D}។", "{D} តម្លៃ{F}នៅ{L}បាន{Upk}{Q}។"},
		qs: []qspec{{"how_many", "By what percentage did the price of {F} change?", "N"}, {"what", "Did the price of {F} rise or fall?", "Up"}, {"where", "Where did the price of {F} change?", "L"}, {"when", "When did the price of {F} {Upb}?", "D"}}},
	{name: "attendance", weight: 6, tenses: "pf", place: "any", date: true, units: []string{"people"}, noun: "event",
		en: []string{"A total of {N} people {V:attended|will attend} the {E} {inL} {D}.", "The {E} {inL} {V:drew|will draw} {N} people {D}.", "{D}, {N} people {V:attended|will attend} the {E} {inL}."},
		km: []string{"មនុស្សចំនួន{N}នាក់{T}ចូលរួម{E}នៅ{L} {D}។", "{E}នៅ{L}{T}ទាក់ទាញមនុស្ស{N}នាក់ {D}។", "{D} មនុស្ស{N}នាក់{T}ចូលរួម{E}នៅ{L}។"},
		qs: []qspec{{"how_many", "How many people {V:attended|will attend} the {E}?", "N"}, {"where", "{V:Where was the {E} held?|Where will the {E} be held?}", "L"}, {"what", "Which event {V:took|will take} place {inL}?", "E"}, {"when", "{V:When was the {E} held?|When will the {E} be held?}", "D"}}},
	{name: "age", weight: 5, tenses: "n", person: 1, place: "in", units: []string{"age"},
		en: []string{"{P} is {Q} old and lives in {L}.", "{P}, who lives in {L}, is {Q} old.", "{P} lives in {L} and is {Q} old."},
		km: []string{"{P}មានអាយុ{Q} ហើយរស់នៅ{L}។", "{P} ដែលរស់នៅ{L} មានអាយុ{Q}។", "{P}រស់នៅ{L} ហើយមានអាយុ{Q}។"},
		qs: []qspec{{"how_many", "How old is {P}?", "N"}, {"where", "Where does {P} live?", "L"}, {"who", "Who lives in {L}?", "P"}}},
	{name: "work_years", weight: 5, tenses: "n", person: 1, place: "in", units: []string{"year"}, noun: "job",
		en: []string{"{P} has worked as {J} in {L} for {Q}.", "For {Q}, {P} has worked as {J} in {L}."},
		km: []string{"{P}បានធ្វើការជា{Jk}នៅ{L}អស់រយៈពេល{Q}មកហើយ។", "អស់រយៈពេល{Q}មកហើយ {P}បានធ្វើការជា{Jk}នៅ{L}។"},
		qs: []qspec{{"what", "What is {P}'s job?", "Jn"}, {"how_many", "How many years has {P} worked in {L}?", "N"}, {"who", "Who works as {J} in {L}?", "P"}, {"where", "Where does {P} work?", "L"}}},
	{name: "facility_members", weight: 5, tenses: "n", place: "domin", units: []string{"count"}, noun: "facility",
		en: []string{"The {X} in {L} has {N} {M}.", "The {X} in {L} has a total of {N} {M}.", "{L}'s {X} has {N} {M}."},
		km: []string{"{X}នៅ{L}មាន{Mk}ចំនួន{N}{C}។", "{X}នៅ{L}មាន{Mk}{N}{C}។"},
		qs: []qspec{{"how_many", "How many {M} does the {X} in {L} have?", "N"}, {"where", "Where is the {X}?", "L"}, {"what", "What kind of place is described in the passage?", "X"}}},
	{name: "facility_power", weight: 3, tenses: "n", place: "domin", units: []string{"kW"}, noun: "powerfac",
		en: []string{"The {X} in {L} uses {Q} of electricity.", "In {L}, the {X} uses {Q} of electricity."},
		km: []string{"{X}នៅ{L}ប្រើប្រាស់អគ្គិសនី{Q}។", "នៅ{L} {X}ប្រើប្រាស់អគ្គិសនីអស់{Q}។"},
		qs: []qspec{{"how_many", "How many kilowatts does the {X} use?", "N"}, {"where", "Where is the {X}?", "L"}, {"what", "What uses the electricity in the passage?", "X"}}},
	{name: "temperature", weight: 4, tenses: "p", place: "in", date: true, units: []string{"C"},
		en: []string{"The temperature in {L} reached {Q} {D}.", "{D}, the temperature in {L} reached {Q}.", "{L} recorded a temperature of {Q} {D}."},
		km: []string{"សីតុណ្ហភាពនៅ{L}បានឡើងដល់{Q} {D}។", "{D} សីតុណ្ហភាពនៅ{L}បានឡើងដល់{Q}។", "{L}បានកត់ត្រាសីតុណ្ហភាព{Q} {D}។"},
		qs: []qspec{{"how_many", "How many degrees Celsius did the temperature reach in {L}?", "N"}, {"where", "Where did the temperature reach {Q}?", "L"}, {"when", "When did the temperature in {L} reach {Q}?", "D"}}},
	{name: "rain", weight: 3, tenses: "p", place: "in", date: true, units: []string{"mm"},
		en: []string{"{L} received {Q} of rain {D}.", "{D}, {Q} of rain fell in {L}."},
		km: []string{"{L}បានទទួលទឹកភ្លៀង{Q} {D}។", "{D} មានភ្លៀងធ្លាក់{Q}នៅ{L}។"},
		qs: []qspec{{"how_many", "How many millimetres of rain fell in {L}?", "N"}, {"where", "Where did {Q} of rain fall?", "L"}, {"when", "When did {Q} of rain fall in {L}?", "D"}}},
	{name: "harvest", weight: 4, tenses: "p", place: "domin", date: true, units: []string{"t"}, noun: "crop",
		en: []string{"Farmers in {L} harvested {Q} of {F} {D}.", "{D}, farmers in {L} harvested {Q} of {F}."},
		km: []string{"កសិករនៅ{L}បានប្រមូលផល{F}បាន{Q} {D}។", "{D} កសិករនៅ{L}បានប្រមូលផល{F}បាន{Q}។"},
		qs: []qspec{{"what", "What did farmers in {L} harvest?", "F"}, {"how_many", "How many tonnes of {F} did farmers in {L} harvest?", "N"}, {"where", "Where did farmers harvest {Q} of {F}?", "L"}, {"when", "When did farmers in {L} harvest the {F}?", "D"}}},
	{name: "planting", weight: 3, tenses: "pf", place: "domin", date: true, units: []string{"ha"}, noun: "crop",
		en: []string{"Farmers in {L} {V:planted|will plant} {F} on {Q} of land {D}.", "{D}, farmers in {L} {V:planted|will plant} {Q} of {F}."},
		km: []string{"កសិករនៅ{L}{T}ដាំ{F}លើផ្ទៃដី{Q} {D}។", "{D} កសិករនៅ{L}{T}ដាំ{F}លើផ្ទៃដីទំហំ{Q}។"},
		qs: []qspec{{"how_many", "How many hectares of {F} {V:did|will} farmers in {L} plant?", "N"}, {"what", "What {V:did|will} farmers in {L} plant?", "F"}, {"where", "Where {V:did|will} farmers plant {F}?", "L"}, {"when", "When {V:did|will} farmers in {L} plant {F}?", "D"}}},
	{name: "road", weight: 4, tenses: "pf", place: "domin", place2: true, date: true, units: []string{"km"}, lo: 2, hi: 400,
		en: []string{"The government {V:built|will build} {aQa} road from {L2} to {L} {D}.", "{D}, the government {V:built|will build} a road {Q} long from {L2} to {L}."},
		km: []string{"រដ្ឋាភិបាល{T}សាងសង់ផ្លូវប្រវែង{Q}ពី{L2}ទៅ{L} {D}។", "{D} រដ្ឋាភិបាល{T}សាងសង់ផ្លូវមួយខ្សែប្រវែង{Q}ពី{L2}ទៅ{L}។"},
		qs: []qspec{{"how_many", "How many kilometres long is the road?", "N"}, {"where", "Where does the road start?", "L2"}, {"when", "When {V:did|will} the government build the road?", "D"}}},
	{name: "bridge", weight: 3, tenses: "pf", place: "domin", date: true, units: []string{"m"},
		en: []string{"The government {V:built|will build} a bridge {Q} long in {L} {D}.", "{D}, the government {V:built|will build} a bridge {Q} long in {L}."},
		km: []string{"រដ្ឋាភិបាល{T}សាងសង់ស្ពានប្រវែង{Q}នៅ{L} {D}។", "{D} រដ្ឋាភិបាល{T}សាងសង់ស្ពានមួយប្រវែង{Q}នៅ{L}។"},
		qs: []qspec{{"how_many", "How many metres long is the bridge?", "N"}, {"where", "{V:Where was the bridge built?|Where will the bridge be built?}", "L"}, {"when", "When {V:did|will} the government build the bridge?", "D"}}},
	{name: "meeting", weight: 4, tenses: "pf", person: 1, place: "in", date: true, units: []string{"hour"},
		en: []string{"{P} {V:chaired|will chair} {aQa} meeting in {L} {D}.", "{D}, {P} {V:led|will lead} a meeting in {L} that {V:lasted|will last} {Q}."},
		km: []string{"{P}{T}ដឹកនាំកិច្ចប្រជុំរយៈពេល{Q}នៅ{L} {D}។", "{D} {P}{T}ដឹកនាំកិច្ចប្រជុំមួយនៅ{L} ដែលមានរយៈពេល{Q}។"},
		qs: []qspec{{"how_many", "How many hours {V:did|will} the meeting last?", "N"}, {"who", "Who {V:led|will lead} the meeting?", "P"}, {"where", "{V:Where was the meeting held?|Where will the meeting be held?}", "L"}, {"when", "{V:When was the meeting held?|When will the meeting be held?}", "D"}}},
	{name: "run", weight: 3, tenses: "pf", person: 1, place: "any", date: true, units: []string{"km"}, lo: 1, hi: 60,
		en: []string{"{P} {V:ran|will run} {Q} {inL} {D}.", "{D}, {P} {V:ran|will run} {Q} {inL}."},
		km: []string{"{P}{T}រត់ចម្ងាយ{Q}នៅ{L} {D}។", "{D} {P}{T}រត់ចម្ងាយ{Q}នៅ{L}។"},
		qs: []qspec{{"how_many", "How many kilometres {V:did|will} {P} run?", "N"}, {"who", "Who {V:ran|will run} {Q}?", "P"}, {"where", "Where {V:did|will} {P} run?", "L"}, {"when", "When {V:did|will} {P} run {Q}?", "D"}}},
	{name: "fuel", weight: 3, tenses: "p", person: 1, date: true, units: []string{"l"},
		en: []string{"{P} bought {Q} of petrol {D}.", "{D}, {P} bought {Q} of petrol."},
		km: []string{"{P}បានទិញប្រេងសាំង{Q} {D}។", "{D} {P}បានទិញប្រេងសាំង{Q}។"},
		qs: []qspec{{"how_many", "How many litres of petrol did {P} buy?", "N"}, {"who", "Who bought petrol?", "P"}, {"when", "When did {P} buy petrol?", "D"}}},
	{name: "send_money", weight: 4, tenses: "pf", person: 2, date: true, units: []string{"USD", "riel"},
		en: []string{"{P} {V:sent|will send} {Q} to {P2} {D}.", "{D}, {P} {V:sent|will send} {Q} to {P2}."},
		km: []string{"{P}{T}ផ្ញើប្រាក់{Q}ទៅ{P2} {D}។", "{D} {P}{T}ផ្ញើប្រាក់ចំនួន{Q}ទៅឱ្យ{P2}។"},
		qs: []qspec{{"who", "Who {V:sent|will send} money to {P2}?", "P"}, {"who", "Who {V:received|will receive} the money?", "P2"}, {"how_many", "How many {Uw} {V:did|will} {P} send?", "N"}, {"when", "When {V:did|will} {P} send the money?", "D"}}},
	{name: "tourists", weight: 4, tenses: "p", place: "dom", date: true, units: []string{"tourist"},
		en: []string{"{L} welcomed {N} foreign tourists {D}.", "{D}, {L} received {N} foreign tourists."},
		km: []string{"{L}បានទទួលភ្ញៀវទេសចរបរទេសចំនួន{N}នាក់ {D}។", "{D} {L}បានទទួលភ្ញៀវទេសចរបរទេស{N}នាក់។"},
		qs: []qspec{{"how_many", "How many foreign tourists did {L} welcome?", "N"}, {"where", "Which place welcomed {N} foreign tourists?", "L"}, {"when", "When did {L} welcome {N} foreign tourists?", "D"}}},
	{name: "action", weight: 7, tenses: "pf", person: 1, place: "any", date: true, noun: "action",
		en: []string{"{P} {A} {O} {inL} {D}.", "{D}, {P} {A} {O} {inL}."},
		km: []string{"{P}{T}{Ak}{O}នៅ{L} {D}។", "{D} {P}{T}{Ak}{O}នៅ{L}។"},
		qs: []qspec{{"who", "Who {A} {O}?", "P"}, {"what", "What {V:did {P} {Ab}|will {P} {Ab}}?", "I"}, {"where", "Where {V:did {P} {Ab}|will {P} {Ab}} the {I}?", "L"}, {"when", "When {V:did {P} {Ab}|will {P} {Ab}} the {I}?", "D"}}},
	{name: "meet", weight: 4, tenses: "pf", person: 2, place: "any", date: true,
		en: []string{"{P} {V:met|will meet} {P2} {inL} {D}.", "{D}, {P} {V:met|will meet} {P2} {inL}."},
		km: []string{"{P}{T}ជួប{P2}នៅ{L} {D}។", "{D} {P}{T}ជួបជាមួយ{P2}នៅ{L}។"},
		qs: []qspec{{"who", "Who {V:did|will} {P} meet?", "P2"}, {"where", "Where {V:did|will} {P} meet {P2}?", "L"}, {"when", "When {V:did|will} {P} meet {P2}?", "D"}}},
	{name: "job_place", weight: 2, tenses: "n", person: 1, place: "in", noun: "job",
		en: []string{"{P} works as {J} in {L}.", "{P} is {J} in {L}."},
		km: []string{"{P}ធ្វើការជា{Jk}នៅ{L}។", "{P}ជា{Jk}នៅ{L}។"},
		qs: []qspec{{"what", "What is {P}'s job?", "Jn"}, {"where", "Where does {P} work?", "L"}, {"who", "Who works as {J} in {L}?", "P"}}},
}
