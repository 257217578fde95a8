//! Issue 27's benchmark data: a SQLite database written through the store's
//! own `SqlView` (so the search index is filled by the code that fills it
//! for a `/send`), never through HTTP.
//!
//!   agora-search-corpus DB [MESSAGES]    # default 1,000,000
//!   agora-search-corpus DB --no-index    # an empty database whose index is
//!                                        # a no-op (for sends/s without it)
//!
//! - 1,000 users `u0000`..`u0999`; user `i`'s token is `a5` x 8 then `i` as
//!   16 hex digits, so the benchmark can ask as any of them.
//! - Half the messages in the public chat, half in private chats. Users
//!   0-499 talk privately only among themselves (each with its 10
//!   neighbours either side, 20 chats), users 500-999 likewise.
//! - Words from a vocabulary of 50,000 made-up words with Zipf frequencies
//!   (s = 1.05), 4 to 16 words a message.
//! - The adversarial word `quokka` is in 30% of the private messages of
//!   users 500-999 and nowhere else: user 0 searching for it must not pay
//!   for those.
//!
//! - Every user has read everything (its read positions at the end).
//!
//! Prints the queries the benchmark asks (JSON) and the index's size.

use agora_core::search::index_terms;
use agora_core::time::UnixMillis;
use agora_core::token::Token;
use agora_core::view::{ChatId, NewUser, UserId, View, PUBLIC_CHAT};
use agora_store::{open_database, SqlView, StoreConfig};
use std::collections::HashMap;

const USERS: usize = 1_000;
const VOCABULARY: usize = 50_000;
const NEIGHBOURS: usize = 10;
const ADVERSARIAL: &str = "quokka";

/// xorshift64*: deterministic, good enough for picking words.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Made-up words of 2 to 5 syllables, all distinct, none `quokka`.
fn vocabulary(rng: &mut Rng) -> Vec<String> {
    const ONSETS: [&str; 16] = [
        "b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "st", "tr",
    ];
    const VOWELS: [&str; 6] = ["a", "e", "i", "o", "u", "ai"];
    let mut seen = std::collections::HashSet::new();
    let mut words = Vec::with_capacity(VOCABULARY);
    while words.len() < VOCABULARY {
        let syllables = 2 + rng.below(4);
        let mut word = String::new();
        for _ in 0..syllables {
            word.push_str(ONSETS[rng.below(ONSETS.len())]);
            word.push_str(VOWELS[rng.below(VOWELS.len())]);
        }
        if word != ADVERSARIAL && seen.insert(word.clone()) {
            words.push(word);
        }
    }
    words
}

/// Cumulative Zipf weights of ranks 1..=n.
fn zipf_cdf(n: usize, s: f64) -> Vec<f64> {
    let mut total = 0.0;
    let mut cdf = Vec::with_capacity(n);
    for rank in 1..=n {
        total += 1.0 / (rank as f64).powf(s);
        cdf.push(total);
    }
    cdf.iter().map(|c| c / total).collect()
}

fn token_of(user: usize) -> Token {
    let mut bytes = [0xa5; 16];
    bytes[8..].copy_from_slice(&(user as u64).to_be_bytes());
    Token(bytes)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: agora-search-corpus DB [MESSAGES | --no-index]");
        std::process::exit(2);
    };
    let config = StoreConfig::sqlite(path);
    let conn = open_database(&config).expect("open the database");
    if args.get(1).map(String::as_str) == Some("--no-index") {
        // Same table name and columns, nothing kept: the send path runs
        // unchanged, minus the index's work.
        conn.execute_batch(
            "DROP TABLE message_search;
             CREATE VIEW message_search (rowid, words) AS SELECT 0, '' WHERE 0;
             CREATE TRIGGER message_search_noop INSTEAD OF INSERT ON message_search
             BEGIN SELECT 1; END;
             DROP TABLE message_search_terms;
             CREATE VIEW message_search_terms (term, messages) AS SELECT '', 0 WHERE 0;
             CREATE TRIGGER message_search_terms_noop INSTEAD OF INSERT ON message_search_terms
             BEGIN SELECT 1; END;
             CREATE TRIGGER message_search_terms_noop_update
             INSTEAD OF UPDATE ON message_search_terms BEGIN SELECT 1; END;",
        )
        .expect("replace the index");
        return;
    }
    let messages: usize = args
        .get(1)
        .map_or(1_000_000, |n| n.parse().expect("MESSAGES"));
    conn.execute_batch("PRAGMA synchronous = OFF")
        .expect("pragma");

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let words = vocabulary(&mut rng);
    let cdf = zipf_cdf(VOCABULARY, 1.05);
    let mut now = UnixMillis(1_780_000_000_000);

    let tx = conn.unchecked_transaction().expect("begin");
    let mut view = SqlView::new(&tx);
    let mut users: Vec<UserId> = Vec::with_capacity(USERS);
    for i in 0..USERS {
        let user = NewUser {
            name: &format!("u{i:04}"),
            hash: &token_of(i).hash(),
            origin: "bench",
            now,
        };
        let id = view.create_user(user).expect("user");
        view.join(PUBLIC_CHAT, id, 0).expect("join");
        users.push(id);
    }
    // Each user's chats with its neighbours in its half.
    let half = USERS / 2;
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut chats: HashMap<(usize, usize), ChatId> = HashMap::new();
    for i in 0..USERS {
        let group = i / half * half;
        for step in 1..=NEIGHBOURS {
            let j = group + (i - group + step) % half;
            let pair = (i.min(j), i.max(j));
            if let std::collections::hash_map::Entry::Vacant(slot) = chats.entry(pair) {
                let chat = view
                    .create_private_chat(users[pair.0], users[pair.1], now)
                    .expect("chat");
                slot.insert(chat);
                pairs.push(pair);
            }
        }
    }
    tx.commit().expect("commit users");

    let mut text = String::new();
    let mut done = 0;
    while done < messages {
        let tx = conn.unchecked_transaction().expect("begin");
        let mut view = SqlView::new(&tx);
        for _ in 0..10_000.min(messages - done) {
            now = UnixMillis(now.0 + 1_000);
            text.clear();
            for _ in 0..4 + rng.below(13) {
                let u = rng.unit();
                let rank = cdf.partition_point(|&c| c < u).min(VOCABULARY - 1);
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(&words[rank]);
            }
            let (chat, author) = if rng.below(2) == 0 {
                (PUBLIC_CHAT, users[rng.below(USERS)])
            } else {
                let pair = pairs[rng.below(pairs.len())];
                if pair.0 >= half && rng.unit() < 0.3 {
                    text.push(' ');
                    text.push_str(ADVERSARIAL);
                }
                let author = if rng.below(2) == 0 { pair.0 } else { pair.1 };
                (chats[&pair], users[author])
            };
            view.append_message(chat, agora_core::view::NewText::new(author, &text, now))
                .expect("message");
            done += 1;
        }
        tx.commit().expect("commit messages");
        if done % 100_000 == 0 {
            eprintln!("{done} messages");
        }
    }
    // Everyone has read everything: `/status` and search's list of chats
    // (which counts unread messages) cost what a caught-up user's do.
    conn.execute_batch(
        "UPDATE members SET position =
             (SELECT last_message FROM chats WHERE chats.id = members.chat_id)",
    )
    .expect("read positions");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .expect("checkpoint");

    let index_bytes: i64 = conn
        .query_row(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'message_search%'",
            [],
            |row| row.get(0),
        )
        .expect("dbstat");
    let messages_bytes: i64 = conn
        .query_row(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat
             WHERE name IN ('messages', 'messages_by_chat')",
            [],
            |row| row.get(0),
        )
        .expect("dbstat");
    // The queries: a common word, a rare one (still found somewhere), two
    // words, a prefix served by the prefix index and a longer one that is
    // not, and the adversarial word.
    let rare = (20_000..VOCABULARY)
        .find(|&r| {
            let found: i64 = conn
                .query_row(
                    "SELECT count(*) FROM messages WHERE chat_id = 1 AND text LIKE ?1",
                    [format!("%{}%", words[r])],
                    |row| row.get(0),
                )
                .unwrap_or(0);
            found > 0 && index_terms(&words[r]).len() == 1
        })
        .unwrap_or(20_000);
    let prefix4: String = words[10].chars().take(4).collect();
    let long = words
        .iter()
        .skip(50)
        .find(|w| w.len() >= 7)
        .expect("a long word");
    let prefix6: String = long.chars().take(6).collect();
    println!(
        "{{\"common\": \"{}\", \"rare\": \"{}\", \"two_words\": \"{} {}\", \"prefix\": \"{}\", \
         \"long_prefix\": \"{}\", \"adversarial\": \"{}\", \"index_bytes\": {}, \
         \"messages_bytes\": {}}}",
        words[0],
        words[rare],
        words[3],
        words[40],
        prefix4,
        prefix6,
        ADVERSARIAL,
        index_bytes,
        messages_bytes
    );
}
