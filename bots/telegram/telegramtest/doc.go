// Package telegramtest is a fake Telegram Bot API server for tests of the
// Telegram adapter and for the in-process `ticketbot demo`, where a web page
// plays the customer.
//
// It speaks real HTTP on 127.0.0.1, so the real client library talks to it
// unchanged:
//
//	srv := telegramtest.New()
//	defer srv.Close()
//	bot, err := tgbotapi.NewBotAPIWithClient(srv.Token(), srv.Endpoint(), http.DefaultClient)
//
// A test then acts as customers (SendText, SendCommand, SendPhoto,
// SendDocument, SendVoice, Reply, PressButton, PushUpdate, Block,
// DeleteChat), reads what the bot did (Messages, AllMessages, Calls,
// Commands, CallbackAnswers, Webhook, Stats), waits for it without sleeping
// (Watch, WaitMessages, WaitCallbackAnswers, WaitFor), and injects faults (FailNext,
// RateLimitNext, SetLatency, DuplicateUpdates, EnforceLimits).
//
// # Faithful to the Bot API
//
//   - URLs /bot<token>/<method> (method names case-insensitive) and
//     /file/bot<token>/<file_path>; GET query strings and form-encoded,
//     multipart and JSON bodies; answers {"ok":true,"result":...} or
//     {"ok":false,"error_code":N,"description":"..."} with the HTTP status
//     equal to error_code, and parameters.retry_after on 429.
//   - A wrong token answers 401 "Unauthorized"; an unknown method 404 "Not Found".
//   - getUpdates: updates stay queued until confirmed by an offset greater
//     than their update_id; a negative offset keeps only the last -offset
//     updates; limit is 1-100 (default 100); timeout long-polls and returns
//     as soon as an update arrives. A second getUpdates while one is waiting
//     terminates the older one with 409 "Conflict: terminated by other
//     getUpdates request; ...", and getUpdates while a webhook is set answers
//     409 as well.
//   - Message IDs increase per chat and are shared by the user's and the
//     bot's messages; chat ID = user ID for private chats.
//   - Text is parsed per parse_mode=HTML like Telegram: the supported tags
//     (b, strong, i, em, u, ins, s, strike, del, a, code, pre with
//     <code class="language-x">, tg-spoiler, span class="tg-spoiler",
//     blockquote [expandable]) and entities (&lt; &gt; &amp; &quot; and
//     numeric ones; any other '&' stays text) become the message's plain
//     text and entities, and unsupported, unbalanced or unmatched tags
//     answer 400 "Bad Request: can't parse entities: ...". Lengths are
//     checked after parsing, in UTF-16 code units as Telegram counts them:
//     4096 for text ("message is too long"), 1024 for captions. Text that is
//     empty after parsing answers "message text is empty".
//   - Inline keyboards: callback_data of 1-64 bytes, else
//     "BUTTON_DATA_INVALID"; url buttons need an absolute URL; more than
//     100 buttons, more than 8 in a row or a markup over 10 kB answer
//     "reply markup is too long" (numbers Telegram does not document; see
//     MaxKeyboardButtons). answerCallbackQuery's text is at most 200
//     characters, else "MESSAGE_TOO_LONG". validate.go cites the page of
//     every number; ValidateText, ValidateCaption, ValidateReplyMarkup and
//     ValidateCallbackAnswer are the same checks, for tests of what a bot
//     builds.
//   - Edits: "message to edit not found", "message is not modified: ...",
//     "there is no text in the message to edit", and an editMessageText
//     without reply_markup removes the inline keyboard, as in Telegram.
//   - reply_to_message_id must exist unless allow_sending_without_reply.
//   - A callback query can be answered once; a second answer or an unknown
//     ID answers "query is too old and response timeout expired or query
//     ID is invalid".
//   - sendPhoto/sendDocument/sendMediaGroup accept file_ids the fake knows
//     (from users' messages or earlier sends), http(s) URLs and multipart
//     uploads (attach:// too); unknown file_ids answer "wrong file
//     identifier/HTTP URL specified". A media group (2-10 items) becomes one
//     message per item sharing a media_group_id. Uploaded files keep their
//     bytes (FileData; Media.Uploaded tells an upload from a file_id), and an
//     upload over 50 MB answers 413 "Request Entity Too Large".
//   - Files: getFile answers file_size and file_path, and refuses a file
//     over 20 MB with "Bad Request: file is too big"; the file URL serves
//     the bytes with Content-Length. Users' messages carry file_size.
//     AddFile gives a file the content a test wants.
//   - Webhook: setWebhook records url, secret_token (validated as
//     Telegram does: 1-256 of A-Z a-z 0-9 _ -), max_connections and
//     allowed_updates; updates are POSTed as JSON with the
//     X-Telegram-Bot-Api-Secret-Token header, retried on failure or non-2xx,
//     and a delivery failure is reported by getWebhookInfo.
//   - Flood limits (EnforceLimits): 30 messages/s per bot, 1/s per private
//     chat, 20/min per group, answered with 429 and the retry_after that
//     lets the message pass.
//
// # Simplified
//
//   - No HTTPS, certificates or port rules for webhooks: any http(s) URL is
//     accepted, and delivery happens when Deliver is called (or by itself
//     with AutoDeliver) with bounded retries (WebhookRetry), not over hours.
//     A method returned in the webhook's response body is not executed.
//   - Markdown and MarkdownV2 are not parsed: the text is kept as sent.
//     Plain text gets no automatic url/mention entities; user texts only get
//     a bot_command entity for a leading /command.
//   - allowed_updates is recorded but does not filter updates.
//   - Any chat ID is accepted as a chat the bot may write to (Telegram would
//     refuse users who never started the bot); "@channel" chat IDs answer
//     "chat not found". Negative IDs are groups, below -10^12 supergroups.
//   - Commands are kept per scope type and language_code; Commands reads the
//     default scope.
//   - Error texts for rare cases (media group size, command validation,
//     JSON parse errors) are plausible, not copied from Telegram. Photos
//     are not checked against sendPhoto's 10 MB and dimension limits.
//   - Flood limits count only sends (sendMessage, sendPhoto, sendDocument,
//     one per sendMediaGroup); edits and answers are never limited. Time for
//     the limits and dates comes from WithClock; long-poll timeouts,
//     latency and webhook backoff use real timers.
//   - Only the methods listed in the handler table are served (getMe,
//     getUpdates, setWebhook, deleteWebhook, getWebhookInfo, setMyCommands,
//     getMyCommands, deleteMyCommands, sendMessage, editMessageText,
//     editMessageReplyMarkup, answerCallbackQuery, sendPhoto, sendDocument,
//     sendMediaGroup, getFile, deleteMessage, sendChatAction); others answer
//     404 like unknown methods.
package telegramtest
