package search

import (
	"strings"
	"sync"
	"unicode"

	"github.com/mozillazg/go-pinyin"
	"golang.org/x/text/unicode/norm"
)

// Tokenising. Text is NFKC-normalised (full-width letters and digits fold
// to ASCII) and lower-cased, then cut into runs of Han characters and runs
// of other letters and digits; everything else separates.
//
// A Han run gives, for a document:
//   - every character (unigram) and every pair of neighbours (bigram), so a
//     Chinese query matches any substring of one or two characters and
//     longer ones through their bigrams;
//   - the pinyin of every character and of every pair (草莓 → cao, mei,
//     caomei), with up to maxReadings readings of a 多音字 (长沙 → changsha
//     and zhangsha), so a pinyin query or a prefix of one (caom) matches;
//   - the initials of every pair (草莓 → cm).
//
// A word run gives the word and, for English plurals, its singular
// (strawberries → strawberry).
//
// Tokens never span two runs, so pairs of syllables and initials are the
// longest tokens; a longer pinyin or initials query is cut into pairs
// (see parseQuery).

const (
	maxReadings = 2  // readings indexed per Han character
	maxWordLen  = 32 // longer words are cut
)

type runKind int

const (
	hanRun runKind = iota
	wordRun
)

type run struct {
	kind  runKind
	text  string
	runes []rune
}

// normalize folds width and case.
func normalize(s string) string {
	return strings.ToLower(norm.NFKC.String(s))
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

func isWord(r rune) bool { return !isHan(r) && (unicode.IsLetter(r) || unicode.IsDigit(r)) }

// runs cuts normalised text into Han runs and word runs.
func runs(s string) []run {
	s = normalize(s)
	var out []run
	var cur []rune
	kind := hanRun
	flush := func() {
		if len(cur) > 0 {
			if kind == wordRun && len(cur) > maxWordLen {
				cur = cur[:maxWordLen]
			}
			out = append(out, run{kind: kind, text: string(cur), runes: cur})
		}
		cur = nil
	}
	for _, r := range s {
		var k runKind
		switch {
		case isHan(r):
			k = hanRun
		case isWord(r):
			k = wordRun
		default:
			flush()
			continue
		}
		if len(cur) > 0 && k != kind {
			flush()
		}
		kind = k
		cur = append(cur, r)
	}
	flush()
	return out
}

var pinyinArgs = func() pinyin.Args {
	a := pinyin.NewArgs()
	a.Style = pinyin.Normal
	a.Heteronym = true
	return a
}()

// readings returns up to maxReadings toneless pinyin readings of r (none
// for a character the dictionary lacks).
func readings(r rune) []string {
	ps := pinyin.SinglePinyin(r, pinyinArgs)
	var out []string
	for _, p := range ps {
		p = strings.ReplaceAll(p, "ü", "v")
		if p == "" || containsStr(out, p) {
			continue
		}
		out = append(out, p)
		if len(out) == maxReadings {
			break
		}
	}
	return out
}

func containsStr(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// docTokens calls emit with every token of text (duplicates included).
func docTokens(text string, withPinyin bool, emit func(string)) {
	for _, r := range runs(text) {
		if r.kind == wordRun {
			emit(r.text)
			if s := singular(r.text); s != r.text {
				emit(s)
			}
			continue
		}
		rs := r.runes
		var rd [][]string
		if withPinyin {
			rd = make([][]string, len(rs))
			for i, c := range rs {
				rd[i] = readings(c)
			}
		}
		for i, c := range rs {
			emit(string(c))
			if i+1 < len(rs) {
				emit(string(rs[i : i+2]))
			}
			if !withPinyin {
				continue
			}
			for _, a := range rd[i] {
				emit(a)
				if i+1 < len(rs) {
					for _, b := range rd[i+1] {
						emit(a + b)
						emit(a[:1] + b[:1])
					}
				}
			}
		}
	}
}

// singular strips an English plural ending from a word of ASCII letters.
func singular(w string) string {
	if len(w) < 4 || !isASCIILetters(w) {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "oes"), strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"),
		strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "xes"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"):
		return w
	case strings.HasSuffix(w, "s"):
		return w[:len(w)-1]
	}
	return w
}

func isASCIILetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return s != ""
}

// syllables is the set of toneless pinyin syllables of the dictionary,
// built on first use.
var syllables = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for code := range pinyin.PinyinDict {
		for _, p := range pinyin.SinglePinyin(rune(code), pinyinArgs) {
			p = strings.ReplaceAll(p, "ü", "v")
			if isASCIILetters(p) {
				m[p] = true
			}
		}
	}
	return m
})

// syllablePrefixes is the set of prefixes of syllables (a query's last
// syllable may be unfinished: caom).
var syllablePrefixes = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for s := range syllables() {
		for i := 1; i <= len(s); i++ {
			m[s[:i]] = true
		}
	}
	return m
})

// splitPinyin cuts s (ASCII letters) into pinyin syllables, the last of
// which may be unfinished; ok is false when s is not pinyin. It prefers
// long syllables (xianggu → xiang gu) and backtracks when that fails.
func splitPinyin(s string) (out []string, ok bool) {
	syl, pre := syllables(), syllablePrefixes()
	var walk func(i int) bool
	walk = func(i int) bool {
		if i == len(s) {
			return true
		}
		end := i + 6
		if end > len(s) {
			end = len(s)
		}
		for j := end; j > i; j-- {
			p := s[i:j]
			if syl[p] || (j == len(s) && pre[p]) {
				out = append(out, p)
				if walk(j) {
					return true
				}
				out = out[:len(out)-1]
			}
		}
		return false
	}
	if !isASCIILetters(s) || !walk(0) {
		return nil, false
	}
	return out, true
}

// pairs joins parts two by two; an odd last part is joined with the one
// before it, so every pair is one a document indexes.
func pairs(parts []string) []string {
	var out []string
	for i := 0; i+1 < len(parts); i += 2 {
		out = append(out, parts[i]+parts[i+1])
	}
	if len(parts)%2 == 1 {
		if len(parts) == 1 {
			return parts
		}
		out = append(out, parts[len(parts)-2]+parts[len(parts)-1])
	}
	return out
}

func hasVowel(s string) bool { return strings.ContainsAny(s, "aeiouv") }

// group is one condition of a query: a document must hold a token equal
// to one of exact or starting with one of prefix.
type group struct {
	exact  []string
	prefix []string
}

// maxGroups bounds the conditions of one query.
const maxGroups = 16

// parseQuery turns a query into its groups; a document matches when it
// matches every group.
//
//   - A Han run of one or two characters must appear as such; a longer one
//     is covered by bigrams (长沙草莓 → 长沙, 草莓), each of which must
//     appear, so the words may come from different fields.
//   - A run of ASCII letters is a prefix of some token: a pinyin syllable
//     or pair (mi, caom, caomei), an initials pair (cm), an English word
//     (honey, straw). Pinyin of three or more syllables (youjicaomei) is
//     cut into pairs (youji, caomei), and initials of three or more letters
//     (ahhc) likewise (ah, hc); each pair also accepts the whole run, so
//     an English word that happens to read as pinyin still matches itself.
//   - Any other word (500g) is a prefix as it is.
func parseQuery(q string) []group {
	var gs []group
	for _, r := range runs(q) {
		switch {
		case r.kind == hanRun && len(r.runes) <= 2:
			gs = append(gs, group{exact: []string{r.text}})
		case r.kind == hanRun:
			rs := r.runes
			for i := 0; i+1 < len(rs); i += 2 {
				gs = append(gs, group{exact: []string{string(rs[i : i+2])}})
			}
			if len(rs)%2 == 1 {
				gs = append(gs, group{exact: []string{string(rs[len(rs)-2:])}})
			}
		case isASCIILetters(r.text):
			var parts []string
			if syl, ok := splitPinyin(r.text); ok && len(syl) >= 3 {
				parts = pairs(syl)
			} else if !hasVowel(r.text) && len(r.text) >= 3 {
				parts = pairs(strings.Split(r.text, ""))
			}
			if len(parts) <= 1 {
				gs = append(gs, group{prefix: []string{r.text}})
				continue
			}
			for _, p := range parts {
				gs = append(gs, group{prefix: []string{p, r.text}})
			}
		default:
			gs = append(gs, group{prefix: []string{r.text}})
		}
	}
	if len(gs) > maxGroups {
		gs = gs[:maxGroups]
	}
	return gs
}

// prefixEnd returns the smallest string greater than every string that
// starts with p, for the range token >= p AND token < end. It increments
// the last character: code-point order is UTF-8 byte order, which is how
// both databases compare tokens.
func prefixEnd(p string) string {
	rs := []rune(p)
	rs[len(rs)-1]++
	return string(rs)
}
