package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium; CHROMIUM overrides it.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// browser is a headless Chromium tab driving the page, with helpers that
// wait on conditions in the page (never on time) and screenshots written
// to $DEMO_ARTIFACTS or a test directory.
type browser struct {
	t    *testing.T
	ctx  context.Context
	dir  string
	step int
}

// newBrowser starts Chromium. Without it the test is skipped, except
// under CI=true where it fails: CI installs it.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromiumPath()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium not found at %s (apt-get install -y chromium): the browser test must run in CI", path)
		}
		t.Skipf("chromium not found at %s (apt-get install -y chromium, or set CHROMIUM)", path)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}

	dir := os.Getenv("DEMO_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: ctx, dir: dir}
}

func (b *browser) run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// eval runs a JavaScript expression and returns its value.
func eval[T any](b *browser, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("browser: %s: %v", js, err)
	}
	return v
}

// waitJS waits until the JavaScript expression is truthy.
func (b *browser) waitJS(what, js string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[any](js, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		b.shot("timeout")
		body, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText`))
		b.t.Fatalf("waiting for %s: %v\npage text:\n%s", what, err, body)
	}
}

// waitText waits until the element sel contains text.
func (b *browser) waitText(sel, text string) {
	b.t.Helper()
	b.waitJS(fmt.Sprintf("%s in %s", text, sel), fmt.Sprintf(
		`Array.from(document.querySelectorAll(%s)).some((e) => e.textContent.includes(%s))`, jsString(sel), jsString(text)))
}

// click clicks the first element matching sel whose text contains text
// (any text when empty), waiting for it to exist and be enabled.
func (b *browser) click(sel, text string) {
	b.t.Helper()
	find := fmt.Sprintf(`Array.from(document.querySelectorAll(%s)).find((e) => e.textContent.includes(%s) && !e.disabled && e.offsetParent !== null)`,
		jsString(sel), jsString(text))
	b.waitJS(fmt.Sprintf("a %s %q to click", sel, text), find)
	if !eval[bool](b, fmt.Sprintf(`(() => { const e = %s; if (!e) return false; e.scrollIntoView({block: "center"}); e.click(); return true; })()`, find)) {
		b.t.Fatalf("no %s %q to click", sel, text)
	}
}

// fill types text into the input sel and submits its form.
func (b *browser) fill(sel, text string) {
	b.t.Helper()
	b.run(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SetValue(chromedp.CSS(sel), text))
	eval[bool](b, fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.form.requestSubmit(); return true; })()`, jsString(sel)))
}

// shot writes a full-page screenshot for step name and logs its path.
func (b *browser) shot(name string) {
	b.t.Helper()
	b.step++
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.step, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	b.t.Logf("screenshot: %s", path)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// The page works in a real browser against the fakes, with the stub bot
// standing in for the adapters: bot HTML rendered safely, inline buttons,
// cards updated in place, the claim as the second agent, threads with
// replies and notes, the /tickets command, and the phone layout.
func TestPageInBrowser(t *testing.T) {
	b := newBrowser(t)
	srv, _, _ := newTestServer(t)

	b.run(chromedp.Navigate(srv.URL + "/"))
	b.waitJS("the live stream", `document.querySelector("#live").classList.contains("on")`)
	b.waitText("#sl-messages > .hint", "No tickets yet")
	if pad := eval[float64](b, `parseFloat(getComputedStyle(document.querySelector("#sl-messages > .hint")).paddingLeft)`); pad < 4 {
		t.Errorf("the empty channel's hint has %vpx of padding", pad)
	}
	// Primary buttons of the modal and the confirm dialog read as primary:
	// white on the primary green, not white on white.
	for _, sel := range []string{"#sl-modal-submit", "#confirm-yes"} {
		got := eval[string](b, fmt.Sprintf(`(() => { const s = getComputedStyle(document.querySelector(%s)); return s.color + " on " + s.backgroundColor; })()`, jsString(sel)))
		if want := "rgb(255, 255, 255) on rgb(0, 122, 90)"; got != want {
			t.Errorf("%s is %s, want %s", sel, got, want)
		}
	}
	b.shot("empty")

	// /start: the bot's HTML is formatted, its escaped text stays text.
	b.click("#tg-commands button", "/start")
	b.waitText("#tg-chat .bubble b", "Hola")
	if eval[bool](b, `document.querySelector("#tg-chat script, #tg-chat img") !== null`) {
		t.Error("the bot's escaped markup became elements")
	}
	b.waitText("#tg-chat .bubble", "<script>alert(1)</script>")
	b.waitJS("the terms link", `document.querySelector('#tg-chat a[href="https://example.com/terms"][rel~="noopener"]') !== null`)
	// The customer's /start shows the time it was sent, not the refresh's:
	// never later than the bot's answer to it.
	if msg := eval[string](b, `(() => {
		const ms = state.tg.messages, me = ms.find((m) => !m.fromBot), bot = ms.find((m) => m.fromBot && m.id > me.id);
		const shown = document.querySelector('#tg-chat .bubble.me[data-id="' + me.id + '"] .meta').textContent;
		if (!me.date) return "the customer's message has no date";
		if (new Date(me.date) > new Date(bot.date)) return "the customer's message " + me.date + " is later than the answer " + bot.date;
		if (shown !== hhmm(me.date)) return "the customer's message shows " + shown + ", not its time " + hhmm(me.date);
		return "";
	})()`); msg != "" {
		t.Error(msg)
	}
	b.shot("start")

	// The inline button: the message is edited in place, the card appears.
	b.click("#tg-chat .keyboard button", "Acepto")
	b.waitText("#tg-chat .bubble", "Términos aceptados")
	b.waitJS("the keyboard removed", `document.querySelector("#tg-chat .keyboard") === null`)
	b.waitText("#sl-messages .blk-header", "#1 La impresora no imprime")
	b.waitText("#sl-messages .mention", "@channel")
	b.waitText("#sl-messages .blk-section", "<!channel>") // the escaped one is text
	b.shot("card")

	// Beto claims: the card is updated in place and the customer told.
	eval[bool](b, `(() => { const s = document.querySelector("#sl-agent"); s.value = "U0AGENTB"; s.dispatchEvent(new Event("change")); return true; })()`)
	b.click("#sl-messages .sl-btn", "Claim")
	b.waitText("#sl-messages .blk-fields", "@Beto")
	b.waitText("#tg-chat .bubble", "Tu ticket #1 fue tomado.")
	if cards := eval[int](b, `document.querySelectorAll("#sl-messages .msg.app").length`); cards != 1 {
		t.Errorf("%d cards after the update, want 1", cards)
	}
	b.shot("claimed")

	// The customer writes: it lands in the card's thread.
	b.fill("#tg-input", "Sigue sin imprimir")
	b.waitText("#sl-messages .thread-link", "1 reply")
	b.click("#sl-messages .thread-link", "1 reply")
	b.waitText("#sl-thread-body", "Sigue sin imprimir")

	// A reply reaches the customer; a note does not.
	b.fill("#sl-reply-input", "Reinicie la impresora")
	b.waitText("#tg-chat .bubble", "Ana: Reinicie la impresora")
	b.click("#sl-reply label", "Internal note")
	b.waitText("#sl-note-hint", "note:")
	b.fill("#sl-reply-input", "cliente VIP")
	b.waitText("#sl-thread-body .msg.note", "note: cliente VIP")
	b.shot("thread")
	if eval[bool](b, `document.querySelector("#tg-chat").textContent.includes("VIP")`) {
		t.Error("the internal note reached the customer pane")
	}

	// A file: only its name travels, as a Telegram file reference.
	file := filepath.Join(t.TempDir(), "factura.pdf")
	if err := os.WriteFile(file, []byte("%PDF-1.4"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.run(chromedp.SetUploadFiles(chromedp.CSS("#tg-file"), []string{file}))
	b.waitText("#tg-chat .bubble.me .media", "factura.pdf")
	b.waitText("#sl-thread-body", "factura.pdf")

	// /tickets answers privately.
	b.click("#sl-thread-close", "")
	b.fill("#sl-command-input", "queue")
	b.waitText("#sl-messages .msg.ephemeral b", "1")
	b.waitText("#sl-messages .msg.ephemeral", "Only visible to you")
	b.shot("command")

	// A phone: one pane at a time, chosen with tabs.
	b.run(chromedp.EmulateViewport(390, 844))
	b.waitJS("the tabs", `getComputedStyle(document.querySelector(".tabs")).display !== "none"`)
	if !eval[bool](b, `getComputedStyle(document.querySelector("#agents")).display === "none"`) {
		t.Error("at phone width the agents pane shows next to the customer's")
	}
	b.shot("phone-customer")
	b.click(".tabs button", "Agents")
	b.waitJS("the agents pane", `getComputedStyle(document.querySelector("#agents")).display !== "none" && getComputedStyle(document.querySelector("#customer")).display === "none"`)
	if eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
		t.Error("the page scrolls sideways at phone width")
	}
	// The /tickets input's placeholder fits in it.
	if msg := eval[string](b, `(() => {
		const i = document.querySelector("#sl-command-input"), s = getComputedStyle(i);
		const c = document.createElement("canvas").getContext("2d");
		c.font = s.font;
		const need = c.measureText(i.placeholder).width, room = i.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
		return need <= room ? "" : "the /tickets placeholder needs " + need + "px, has " + room + "px";
	})()`); msg != "" {
		t.Error(msg)
	}
	b.shot("phone-agents")
}

// set types text into the input sel without submitting.
func (b *browser) set(sel, text string) {
	b.t.Helper()
	b.run(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SetValue(chromedp.CSS(sel), text))
}
