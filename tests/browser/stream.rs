//! The page's reading of `text/event-stream` (events.js), run in the
//! browser itself on chunks cut at awkward places: frames split across
//! chunks, CRLF split between two, pings, multi-line data; and the feed's
//! rule that an event at or before the cursor is never handled twice.

use crate::page::DESKTOP;
use crate::scenario;
use serde_json::json;

#[test]
fn stream_frames_are_parsed_across_chunks_and_never_handled_twice() {
    scenario::with_server("stream", &[], async |scene, server| {
        let page = scene.open(server, DESKTOP).await;
        let chunks = json!([
            "id: 1\nevent: message\ndata: {\"id\":1}\n\n",
            ": ping\n\n",
            "id: 2\r",
            "\nevent: comment\r\ndata: {\"id\"",
            ":2}\r\n\r\n",
            "data: x\r",
            "\ndata: y\n\n",
            "id: 3\ndata:no-space\n",
            "\n",
        ]);
        let frames = page
            .js_async(
                "const [chunks, done] = arguments; \
                 import('/assets/js/events.js').then(({ SseParser }) => { \
                   const frames = []; \
                   const parser = new SseParser((frame) => frames.push(frame)); \
                   for (const chunk of chunks) parser.push(chunk); \
                   done(frames); });",
                vec![chunks],
            )
            .await;
        assert_eq!(
            frames,
            json!([
                { "id": "1", "event": "message", "data": "{\"id\":1}" },
                { "id": "2", "event": "comment", "data": "{\"id\":2}" },
                { "id": "2", "event": "message", "data": "x\ny" },
                { "id": "3", "event": "message", "data": "no-space" },
            ])
        );

        // From cursor 5: 4 and a repeated 6 are dropped, bad data is skipped.
        let handled = page
            .js_async(
                "const [done] = arguments; \
                 import('/assets/js/events.js').then(({ EventFeed }) => { \
                   const seen = []; \
                   const feed = new EventFeed({ onEvent: (e) => seen.push(e.id), onState() {}, onReset() {} }); \
                   feed.last = 5; \
                   for (const data of ['{\"id\":4}', '{\"id\":6}', 'not json', '{\"id\":6}', '{\"id\":7}']) \
                     feed.deliver({ data }); \
                   done([seen, feed.last]); });",
                vec![],
            )
            .await;
        assert_eq!(handled, json!([[6, 7], 7]));
    });
}
