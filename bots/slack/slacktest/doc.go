// Package slacktest is a fake Slack workspace for testing the Slack adapter
// and for running `ticketbot demo` without Slack.
//
// It has two sides. The Web API side is an HTTP server that the real
// github.com/slack-go/slack client talks to:
//
//	srv := slacktest.Start(t)
//	api := slack.New(srv.Token(), slack.OptionAPIURL(srv.APIURL()))
//
// It serves auth.test, chat.postMessage, chat.update, chat.postEphemeral,
// chat.delete, chat.getPermalink, conversations.info, conversations.history,
// conversations.replies, users.info, usergroups.users.list, views.open,
// views.update, views.publish, reactions.add, files.info and the upload flow
// (files.getUploadURLExternal, the upload URL, files.completeUploadExternal,
// which shares the file in a channel or thread), serves files' private
// download URLs to the bot token only (401 otherwise), keeps a model of
// the channels (Messages, Thread, Ephemerals, Views, Responses), records every
// call (Calls, Stats), and injects faults (FailNext, RateLimitNext, SetLatency,
// EnforceLimits).
//
// The client side plays the people in Slack: once SetApp says where the app
// listens, PostUserMessage, PostUserFiles (a file_share message), ClickButton, SelectOption, SubmitView and
// SlashCommand post signed Events API, interactivity and slash command
// requests to the app, and RetryLastEvent repeats an event as Slack retries
// it; NewResponseURL issues a response URL for a request a test builds
// itself (a Socket Mode envelope). Watch and WaitMessages follow the
// changes without sleeping.
//
// # Faithful
//
//   - Requests and answers: form, query and JSON arguments (blocks and
//     attachments JSON-encoded inside form values), the token from
//     "Authorization: Bearer" or the token argument (not from a JSON body),
//     HTTP 200 with {"ok":true,...} or {"ok":false,"error":code}, in the shapes
//     slack-go decodes. Error codes are Slack's: not_authed, invalid_auth,
//     channel_not_found, message_not_found, thread_not_found, user_not_found,
//     no_text, cant_update_message and cant_delete_message (not the bot's
//     message), already_reacted, no_such_subteam, invalid_trigger_id,
//     exchanged_trigger_id, expired_trigger_id (after 3 seconds),
//     hash_conflict.
//   - Payloads over Slack's documented limits are refused as Slack refuses
//     them (blockkit.go cites each number's page): messages by
//     chat.postMessage, chat.update, chat.postEphemeral, response URLs and
//     command answers with msg_too_long (text over 40,000 characters),
//     invalid_blocks_format, invalid_blocks (over 50 blocks; section text
//     over 3,000 or empty, over 10 fields of 2,000; header over 150 or not
//     plain_text; context over 10 elements; actions over 25 elements;
//     button text 75, value 2,000, url 3,000; select options 100, option
//     text 75, value 150; placeholders 150; block_id and action_id 255 and
//     unique; unknown block types), with the details Slack gives in
//     "errors" and response_metadata.messages ("[ERROR] must be less than
//     3001 characters [json-pointer:/blocks/0/text/text]"), and
//     msg_blocks_too_long (more than MaxBlocksText characters in all the
//     blocks: undocumented, see MaxBlocksText); views by views.open,
//     views.update and views.publish with invalid_arguments and the
//     details (title, submit and close 24, private_metadata 3,000,
//     callback_id 255, 100 blocks, an input's label and hint 2,000 and
//     max_length 1-3,000, submit required with an input). ValidateMessage,
//     ValidateView and ValidateSocketAck (Socket Mode answers under 20 KB)
//     are the same checks, for tests of what an app builds.
//   - Message timestamps are unique and increasing ("1700000000.000100");
//     thread replies count on their parent; a reply to a reply goes to the
//     thread; chat.update replaces only what it sends and keeps the rest;
//     Slack fills in missing block_id and action_id.
//   - Rate limits: 429 with an integer Retry-After, which slack-go turns into
//     *slack.RateLimitedError; enforced limits are chat.postMessage 1/s per
//     channel (burst 1) and chat.update 50/min per workspace (token bucket).
//     5xx answers carry an HTML body, as Slack's edge sends.
//   - Payloads to the app: event_callback envelopes with event_id, event_time,
//     authorizations and a message event (with rich_text blocks, thread_ts and
//     parent_user_id for replies); block_actions with user, container, channel,
//     message, state, trigger_id, response_url and actions; view_submission
//     with the view, its callback_id, private_metadata and state values;
//     slash commands form-encoded. All are signed with the v0 scheme over the
//     raw body, with the real current time as timestamp. Retries carry
//     X-Slack-Retry-Num and X-Slack-Retry-Reason: http_timeout. Slack waits 3
//     seconds for the app (WithAppTimeout).
//   - What the app answers is shown as Slack shows it: response URL posts (5
//     uses, 30 minutes) replace or delete the original message, post in the
//     channel or show an ephemeral message; a slash command's immediate answer
//     is shown too; view_submission answers clear, update, push or report
//     errors.
//
// # Simplified
//
//   - One workspace, public channels only, no membership: every user is in
//     every channel (chat.postEphemeral only checks that the user exists).
//     No DMs, no private channels, no Enterprise Grid.
//   - The bot's own messages are not echoed to the app as message events, and
//     user messages carry no edits or deletions from the user side.
//   - Files: uploads complete and are shared at once (Slack processes them
//     asynchronously); a file is at most 1 GB (MaxFileSize, refused as
//     file_upload_size_restricted); an upload URL takes one upload (then
//     404), and a file ID is completed once (then file_not_found); the
//     declared length is not checked against the bytes. Private URLs answer
//     401 to a missing or wrong token (Slack redirects to a sign-in page).
//     UploadEndpoint names the upload URL for FailNext and RateLimitNext.
//   - Block Kit validation covers the limits above, not the whole schema;
//     lengths are counted in UTF-16 code units (Slack says "characters"
//     without a unit: this count is never below Slack's). The rare
//     details (a repeated ID, a missing field) are worded plausibly, not
//     copied from Slack. mrkdwn is stored as sent, never rendered, and
//     BlocksText does not unescape it. Attachments are stored, not
//     validated.
//   - Pagination cursors are offsets; history and replies honor limit,
//     cursor, oldest, latest and inclusive only.
//   - Only the two limits above are enforced; other methods are never limited
//     unless RateLimitNext says so. Response URL and trigger lifetimes use the
//     server clock (WithClock); signatures use real time.
//   - Interactions on modals (block_actions inside a view), view_closed,
//     shortcuts, Socket Mode and the RTM API are not simulated.
package slacktest
