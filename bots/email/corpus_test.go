package email_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/colombiainformatica/ticketbot/bots/email"
)

// corpusFile is a mail of the corpus: where it comes from and its bytes.
type corpusFile struct {
	name string
	raw  []byte
}

// corpus returns the mails nobody here wrote: testdata/corpus (CPython's
// and mailpit's test mails, copied with their licenses) and every file
// under the testdata folders of enmime, read from the module cache.
func corpus(tb testing.TB) []corpusFile {
	tb.Helper()
	var files []corpusFile
	add := func(root, prefix string) {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			base := d.Name()
			if d.IsDir() || base == "LICENSE" || strings.HasSuffix(base, ".md") {
				return nil
			}
			raw, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			files = append(files, corpusFile{prefix + rel, raw})
			return nil
		})
		if err != nil {
			tb.Fatalf("corpus %s: %v", root, err)
		}
	}
	add(filepath.Join("testdata", "corpus"), "")
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/jhillyerd/enmime/v2").Output()
	if err != nil {
		tb.Fatalf("go list enmime: %v", err)
	}
	dir := strings.TrimSpace(string(out))
	for _, sub := range []string{"testdata", filepath.Join("dsn", "testdata")} {
		add(filepath.Join(dir, sub), "enmime/"+filepath.ToSlash(sub)+"/")
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files
}

func TestCorpus(t *testing.T) {
	files := corpus(t)
	if len(files) < 150 {
		t.Fatalf("the corpus has %d files; want at least 150", len(files))
	}
	var parsed, withProblems, refused, reports, attachments int
	reasons := map[string]int{}
	kinds := map[email.Kind]int{}
	c := email.Classifier{IDs: newIDs(t, "a secret of thirty-two bytes...."), Addresses: []string{"soporte@colombiainformatica.com"}}
	for _, f := range files {
		m, err := email.Parse(bytes.NewReader(f.raw))
		if err != nil {
			if !errors.Is(err, email.ErrUnreadable) && !errors.Is(err, email.ErrTooLarge) {
				t.Errorf("%s: error %v is neither ErrUnreadable nor ErrTooLarge", f.name, err)
			}
			refused++
			reasons[err.Error()]++
			t.Logf("refused %s: %v", f.name, err)
			continue
		}
		parsed++
		if len(m.Problems) > 0 {
			withProblems++
		}
		if m.Report != nil {
			reports++
		}
		attachments += len(m.Attachments)
		kinds[c.Classify(m).Kind]++
		newText := m.NewText()
		for what, s := range map[string]string{"subject": m.Subject, "text": m.Text, "new text": newText,
			"from name": m.From.Name, "html stripped": email.StripHTMLQuotes(m.HTML)} {
			if !utf8.ValidString(s) {
				t.Errorf("%s: %s is not UTF-8: %q", f.name, what, s)
			}
		}
		for _, a := range m.Attachments {
			if a.Name == "" || strings.ContainsAny(a.Name, "/\\\x00") || a.Size != int64(len(a.Content)) {
				t.Errorf("%s: attachment %q (%d bytes, size %d)", f.name, a.Name, len(a.Content), a.Size)
			}
		}
		if m.From.Address != strings.ToLower(m.From.Address) {
			t.Errorf("%s: From address %q is not lower-case", f.name, m.From.Address)
		}
	}
	t.Logf("corpus: %d files: %d parsed (%d with problems worked around, %d delivery reports, %d attachments), %d refused",
		len(files), parsed, withProblems, reports, attachments, refused)
	t.Logf("classified: %d person, %d automated, %d bounce, %d own",
		kinds[email.KindPerson], kinds[email.KindAutomated], kinds[email.KindBounce], kinds[email.KindOwn])
	for r, n := range reasons {
		t.Logf("refusal %q: %d", r, n)
	}
	if reports < 5 {
		t.Errorf("%d delivery reports found; enmime's dsn testdata has 5", reports)
	}
}
