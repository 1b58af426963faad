// Package data provides LLINK's text data: a deterministic generator of
// parallel Khmer–English sentences, instruction tasks with exact reference
// answers built on them, train/dev/test splits with held-out names and
// numbers, a retrieval pool, monolingual text streams for pretraining, and
// readers for users' own parallel data (TSV and JSONL) and instruction data.
//
// # The generated corpus
//
// [Build] returns a [Corpus]: the generator fills sentence frames (travel,
// purchases, power plants, prices, attendance, ages, harvests, roads, weather
// and more) with values from lexicons written for this project: Khmer
// personal names with their usual romanisation, Cambodian provinces, cities
// and landmarks plus some world places, objects, jobs, events, dates (Khmer
// weekday and month names, years) and, in most sentences, a number with a
// unit (MW, kW, km, kg, tonnes, %, riel, dollars, years, people, ...). Every
// frame has several English and several Khmer paraphrases, chosen
// independently. Each [Pair] carries its slot values in [Slots], which the
// task builder uses to ask questions with exact answers.
//
// Khmer writing convention used by the generator (and checked by tests):
//   - no space inside a phrase: words of a clause are written together;
//   - a single space separates clauses, the parts of a date
//     ("ថ្ងៃទី១២ ខែមីនា ឆ្នាំ២០២៤"), and sets off personal names, which are
//     written family name, space, given name as on Cambodian documents;
//   - a few Latin unit symbols (MW, kW, km, kg, %) may appear, set off by a
//     space from the number before them; no other Latin letters occur;
//   - numbers are written in Khmer digits (០–៩) in most sentences and in
//     Arabic digits in the rest, consistently within a sentence; a decimal
//     point is ".", and numbers of 10,000 or more sometimes group thousands
//     with ",";
//   - no U+200B (zero-width space) and no space before the full stop "។".
//
// English side: digits always, thousands grouped with "," (years excepted).
//
// # Splits
//
// Train and dev pairs use one part of the names and number values; test and
// the retrieval pool use only the held-out part (see [HeldOutName],
// [HeldOutNumber]), so no test name or number value appears in train. No
// English or Khmer sentence occurs twice in a corpus.
//
// # Tasks
//
// [MakeTasks] turns pairs into [Task] values of the kinds listed in
// [TaskKinds]: translation, who/where/what/when/how-many questions, number
// extraction and balanced yes/no questions. The English-only variant of a
// task, used to pretrain an English decoder as an instruction follower, is
// the same task read with [Task.EnglishPassage] in place of [Task.Foreign].
//
// # Users' data
//
// [ReadPairsTSV], [ReadPairsJSONL], [ReadTasksJSONL] and [ReadFile] read
// parallel and instruction data, reporting malformed lines as file:line
// errors, or skipping and counting them with [ReadOptions.SkipBad].
package data
