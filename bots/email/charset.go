package email

import (
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"

	"github.com/jhillyerd/enmime/v2/mediatype"
	"golang.org/x/text/encoding/htmlindex"
)

// charsetReader decodes text in charset (the WHATWG names and aliases:
// "iso-8859-1" reads as Windows-1252, as browsers and mail clients do).
func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(strings.ToLower(strings.TrimSpace(charset)))
	if err != nil {
		return nil, fmt.Errorf("unknown charset %q", charset)
	}
	return enc.NewDecoder().Reader(r), nil
}

// rfc2231RE finds extended parameters: name*=charset'lang'value and the
// segments name*0*=charset'lang'value, name*1*=value.
var rfc2231RE = regexp.MustCompile(`(?i)([!#$%&'+.^_` + "`" + `|~0-9a-z-]+?)(\*[0-9]+)?\*=("?)([^;"\s]*)`)

// parseMediaType is the MIME parser's media type reader: enmime's tolerant
// one, after RFC 2231 values in charsets other than UTF-8 (which Go's
// reader drops) are re-encoded as UTF-8.
func parseMediaType(ctype string) (string, map[string]string, []string, error) {
	if strings.Contains(ctype, "*=") {
		ctype = reencode2231(ctype)
	}
	return mediatype.ParseWithOptions(ctype, mediatype.ParseOptions{StripMediaTypeInvalidCharacters: true})
}

func reencode2231(ctype string) string {
	charsets := map[string]string{} // parameter name → charset of its first segment
	return rfc2231RE.ReplaceAllStringFunc(ctype, func(m string) string {
		sub := rfc2231RE.FindStringSubmatch(m)
		name, seg, quote, value := strings.ToLower(sub[1]), sub[2], sub[3], sub[4]
		prefix := m[:len(m)-len(quote)-len(value)]
		cs := charsets[name]
		if seg == "" || seg == "*0" {
			parts := strings.SplitN(value, "'", 3)
			if len(parts) != 3 {
				return m
			}
			cs = strings.ToLower(parts[0])
			if cs == "" || cs == "utf-8" || cs == "us-ascii" {
				return m
			}
			charsets[name] = cs
			value = parts[2]
		} else if cs == "" {
			return m
		}
		raw, err := url.PathUnescape(value)
		if err != nil {
			return m
		}
		r, err := charsetReader(cs, strings.NewReader(raw))
		if err != nil {
			return m
		}
		dec, err := io.ReadAll(r)
		if err != nil {
			return m
		}
		out := url.PathEscape(string(dec))
		if seg == "" || seg == "*0" {
			out = "utf-8''" + out
		}
		return prefix + quote + out
	})
}
