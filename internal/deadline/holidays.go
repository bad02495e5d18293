package deadline

import (
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/ch"
	"github.com/rickar/cal/v2/sk"
)

// The calendars below are written out from each country's law, for the countries cal v2.1.13 has no
// package for (or whose package lists more than the national holidays). Each names its source. As for
// the others, only days off by law for everyone count: bank holidays, half days and days that collective
// agreements give are working days here, which can only make a due date earlier, never later.

// public is a public holiday on a fixed day of the year.
func public(name string, month time.Month, day int) *cal.Holiday {
	return &cal.Holiday{Name: name, Type: cal.ObservancePublic, Month: month, Day: day, Func: cal.CalcDayOfMonth}
}

// easter is a public holiday offset days from Easter Sunday (Western, or Orthodox when julian).
func easter(name string, offset int, julian bool) *cal.Holiday {
	return &cal.Holiday{Name: name, Type: cal.ObservancePublic, Offset: offset, Julian: julian, Func: cal.CalcEasterOffset}
}

// cyprus: the public holidays of the Republic of Cyprus (Ο περί Δημοσίων Αργιών Νόμος, the Public
// Holidays Law, as amended), with the Orthodox Easter. Christmas Eve, Holy Saturday and Easter Tuesday,
// which banks and the public service take off, are not in it.
var cyprus = []*cal.Holiday{
	public("Πρωτοχρονιά", time.January, 1),
	public("Θεοφάνεια", time.January, 6),
	easter("Καθαρά Δευτέρα", -48, true),
	public("Εθνική Επέτειος (25η Μαρτίου)", time.March, 25),
	public("Εθνική Επέτειος (1η Απριλίου)", time.April, 1),
	easter("Μεγάλη Παρασκευή", -2, true),
	easter("Δευτέρα της Διακαινησίμου", 1, true),
	public("Πρωτομαγιά", time.May, 1),
	easter("Αγίου Πνεύματος (Κατακλυσμός)", 50, true),
	public("Κοίμηση της Θεοτόκου", time.August, 15),
	public("Ημέρα της Κυπριακής Ανεξαρτησίας", time.October, 1),
	public("Επέτειος του Όχι", time.October, 28),
	public("Χριστούγεννα", time.December, 25),
	public("Δεύτερη μέρα των Χριστουγέννων", time.December, 26),
}

// estonia: Pühade ja tähtpäevade seadus (RT I 1998, 3, 55) § 2: the public holidays (rahvuspühad and
// riigipühad). Easter and Whit Sunday are Sundays anyway.
var estonia = []*cal.Holiday{
	public("Uusaasta", time.January, 1),
	public("Iseseisvuspäev", time.February, 24),
	easter("Suur reede", -2, false),
	public("Kevadpüha", time.May, 1),
	public("Võidupüha", time.June, 23),
	public("Jaanipäev", time.June, 24),
	public("Taasiseseisvumispäev", time.August, 20),
	public("Jõululaupäev", time.December, 24),
	public("Esimene jõulupüha", time.December, 25),
	public("Teine jõulupüha", time.December, 26),
}

// hungary: 2012. évi I. törvény a munka törvénykönyvéről (Mt.) 102. § (1): the public holidays
// (munkaszüneti napok). The bridging days the minister moves each year are not counted.
var hungary = []*cal.Holiday{
	public("Újév", time.January, 1),
	public("Nemzeti ünnep (március 15.)", time.March, 15),
	easter("Nagypéntek", -2, false),
	easter("Húsvéthétfő", 1, false),
	public("A munka ünnepe", time.May, 1),
	easter("Pünkösdhétfő", 50, false),
	public("Államalapítás ünnepe", time.August, 20),
	public("Nemzeti ünnep (október 23.)", time.October, 23),
	public("Mindenszentek", time.November, 1),
	public("Karácsony", time.December, 25),
	public("Karácsony másnapja", time.December, 26),
}

// iceland: Lög um 40 stunda vinnuviku nr. 88/1971, 6. gr.: the Church's holy days (Lög um helgidagafrið
// nr. 32/1997, 2. gr.), the First Day of Summer, 1 May and 17 June, and, since 1983, the first Monday in
// August. Christmas Eve and New Year's Eve are free only from 13:00, so they count as working days.
var iceland = []*cal.Holiday{
	public("Nýársdagur", time.January, 1),
	easter("Skírdagur", -3, false),
	easter("Föstudagurinn langi", -2, false),
	easter("Annar í páskum", 1, false),
	// Sumardagurinn fyrsti: the first Thursday after 18 April.
	{Name: "Sumardagurinn fyrsti", Type: cal.ObservancePublic, Month: time.April, Day: 19, Weekday: time.Thursday, Offset: 1, Func: cal.CalcWeekdayFrom},
	public("Verkalýðsdagurinn", time.May, 1),
	easter("Uppstigningardagur", 39, false),
	easter("Annar í hvítasunnu", 50, false),
	public("Þjóðhátíðardagurinn", time.June, 17),
	{Name: "Frídagur verslunarmanna", Type: cal.ObservancePublic, Month: time.August, Weekday: time.Monday, Offset: 1, Func: cal.CalcWeekdayOffset},
	public("Jóladagur", time.December, 25),
	public("Annar í jólum", time.December, 26),
}

// liechtenstein: Arbeitsgesetz (LGBl. 1967 Nr. 6) Art. 18 Abs. 2, as amended by LGBl. 1986 Nr. 85: the
// thirteen statutory holidays equal to Sundays. Bank holidays (2 January, Shrove Tuesday, Good Friday,
// 24 and 31 December) are not among them.
var liechtenstein = []*cal.Holiday{
	public("Neujahr", time.January, 1),
	public("Heilige Drei Könige", time.January, 6),
	easter("Ostermontag", 1, false),
	public("Tag der Arbeit", time.May, 1),
	easter("Auffahrt", 39, false),
	easter("Pfingstmontag", 50, false),
	easter("Fronleichnam", 60, false),
	public("Staatsfeiertag (Mariä Himmelfahrt)", time.August, 15),
	public("Mariä Geburt", time.September, 8),
	public("Allerheiligen", time.November, 1),
	public("Mariä Empfängnis", time.December, 8),
	public("Weihnachten", time.December, 25),
	public("Stephanstag", time.December, 26),
}

// luxembourg: Code du travail, art. L. 232-2: the legal public holidays, Europe Day (9 May) from 2019
// (loi du 19 décembre 2018). A holiday on a Sunday gives employees a day off in lieu (art. L. 232-6),
// which is not a public holiday, so it is not counted.
var luxembourg = []*cal.Holiday{
	public("Nouvel An", time.January, 1),
	easter("Lundi de Pâques", 1, false),
	public("Fête du Travail", time.May, 1),
	{Name: "Journée de l'Europe", Type: cal.ObservancePublic, Month: time.May, Day: 9, Func: cal.CalcDayOfMonth, StartYear: 2019},
	easter("Ascension", 39, false),
	easter("Lundi de Pentecôte", 50, false),
	public("Fête nationale", time.June, 23),
	public("Assomption", time.August, 15),
	public("Toussaint", time.November, 1),
	public("Noël", time.December, 25),
	public("Saint-Étienne", time.December, 26),
}

// malta: National Holidays and Other Public Holidays Act (Cap. 252), arts. 2 and 3: the five national
// holidays and the nine public holidays. None moves when it falls on a weekend.
var malta = []*cal.Holiday{
	public("New Year's Day", time.January, 1),
	public("Feast of St Paul's Shipwreck", time.February, 10),
	public("Feast of St Joseph", time.March, 19),
	public("Freedom Day", time.March, 31),
	easter("Good Friday", -2, false),
	public("Worker's Day", time.May, 1),
	public("Sette Giugno", time.June, 7),
	public("Feast of St Peter and St Paul", time.June, 29),
	public("Feast of the Assumption", time.August, 15),
	public("Victory Day", time.September, 8),
	public("Independence Day", time.September, 21),
	public("Feast of the Immaculate Conception", time.December, 8),
	public("Republic Day", time.December, 13),
	public("Christmas Day", time.December, 25),
}

// portugal: Código do Trabalho (Lei n.º 7/2009), art. 234.º, n.º 1, as restored by Lei n.º 8/2016: the
// compulsory holidays. Carnival and municipal holidays are optional (art. 235.º) and not counted.
var portugal = []*cal.Holiday{
	public("Ano Novo", time.January, 1),
	easter("Sexta-feira Santa", -2, false),
	public("Dia da Liberdade", time.April, 25),
	public("Dia do Trabalhador", time.May, 1),
	easter("Corpo de Deus", 60, false),
	public("Dia de Portugal", time.June, 10),
	public("Assunção de Nossa Senhora", time.August, 15),
	public("Implantação da República", time.October, 5),
	public("Todos os Santos", time.November, 1),
	public("Restauração da Independência", time.December, 1),
	public("Imaculada Conceição", time.December, 8),
	public("Natal", time.December, 25),
}

// switzerland: only 1 August is a federal holiday (Bundesverfassung Art. 110 Abs. 3); the cantons set up
// to eight more (Arbeitsgesetz Art. 20a). cal's ch.Holidays lists the days of any canton; these are the
// ones every canton keeps.
var switzerland = []*cal.Holiday{
	ch.Neujahr,
	ch.Auffahrt,
	ch.Bundesfeiertag,
	ch.Weihnachtstag,
}

// slovakia is sk.Holidays without Constitution Day (1 September) from 2024: it stays a state holiday
// but is no longer a day off (the 2023 consolidation package, amending zákon č. 241/1993 Z. z.).
var slovakia = []*cal.Holiday{
	sk.RepublicDay, sk.Epiphany, sk.GoodFriday, sk.EasterMonday, sk.LabourDay, sk.Liberation, sk.SaintsCyril,
	sk.SNP, sk.Constitution.Clone(&cal.Holiday{EndYear: 2023}), sk.LadyOfSorrows, sk.AllSaints, sk.Freedom,
	sk.ChristmasEve, sk.ChristmasDay, sk.SaintStephen,
}
