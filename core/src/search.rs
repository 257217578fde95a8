//! What search calls a word, written once for every backend.
//!
//! A message's text and a query are cut into words the same way here, and
//! both stores index and look up exactly these words (SQLite's FTS5 table
//! and PostgreSQL's `tsvector`), so the two backends give the same answers
//! by construction rather than by two tokenizers agreeing:
//!
//! - the text is decomposed (Unicode NFKD: `é` -> `e` + a combining acute,
//!   `ﬁ` -> `fi`, a full-width `Ａ` -> `A`), its combining marks are dropped
//!   (so `Café` and `cafe` are one word) and it is lowercased;
//! - a word is a run of letters and digits (`char::is_alphanumeric`);
//!   everything else separates words;
//! - a word keeps at most [`WORD_MAX_CHARS`] characters (PostgreSQL refuses
//!   lexemes over 2 KiB; a longer "word" is a paste, found by its start).
//!
//! A query matches a text when each of its words is one of the text's
//! words, except the last, which may also be the start of one (`deplo`
//! finds `deployed`).

use crate::view::{ChatKind, StoredMessage};
use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// One result of `GET /search`: a message and the chat it is in, as its
/// reader names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchHit {
    pub chat: ChatKind,
    pub message: StoredMessage,
}

/// The longest `q` of `GET /search`, in characters.
pub const QUERY_MAX_CHARS: usize = 256;

/// The most characters a word keeps (see the module docs).
pub const WORD_MAX_CHARS: usize = 64;

/// `chat_type` and `chat` of a chat as its reader names it.
pub fn chat_names(kind: &ChatKind) -> (&'static str, &str) {
    match kind {
        ChatKind::Public => ("public", "public_chat"),
        ChatKind::Private { other } => ("private", other.as_str()),
        ChatKind::Room { name } => ("room", name.as_str()),
    }
}

/// The words of `text`, folded, in order (repeats kept).
pub fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = 0;
    let mut end_word = |word: &mut String, chars: &mut usize| {
        if !word.is_empty() {
            words.push(std::mem::take(word));
        }
        *chars = 0;
    };
    for c in text.chars() {
        decompose_compatible(c, |d| {
            if is_combining_mark(d) {
                return;
            }
            for folded in d.to_lowercase().filter(|f| !is_combining_mark(*f)) {
                if folded.is_alphanumeric() {
                    if chars < WORD_MAX_CHARS {
                        word.push(folded);
                        chars += 1;
                    }
                } else {
                    end_word(&mut word, &mut chars);
                }
            }
        });
    }
    end_word(&mut word, &mut chars);
    words
}

/// The distinct words of `text`, sorted: what a store indexes for it.
pub fn index_terms(text: &str) -> Vec<String> {
    let mut terms = words(text);
    terms.sort_unstable();
    terms.dedup();
    terms
}

/// A valid `q`: at least one word, every word but the last matched whole,
/// the last also as a prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    /// Distinct, sorted; never holds `prefix`.
    whole: Vec<String>,
    prefix: String,
}

impl SearchQuery {
    /// `None` unless `q` has 1 to [`QUERY_MAX_CHARS`] characters and at
    /// least one word.
    pub fn parse(q: &str) -> Option<SearchQuery> {
        if q.chars().count() > QUERY_MAX_CHARS {
            return None;
        }
        let mut words = words(q);
        let prefix = words.pop()?;
        words.sort_unstable();
        words.dedup();
        // `a a`: the whole word `a` already asks more than the prefix `a`.
        words.retain(|w| *w != prefix);
        Some(SearchQuery {
            whole: words,
            prefix,
        })
    }

    /// The words that must occur as they are.
    pub fn whole_words(&self) -> &[String] {
        &self.whole
    }

    /// The last word: it must occur, or be the start of a word that does.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Whether `text` matches (the specification the stores' indexes
    /// answer; the model uses it as it is).
    pub fn matches(&self, text: &str) -> bool {
        let terms = index_terms(text);
        let has = |word: &String| terms.binary_search(word).is_ok();
        self.whole.iter().all(has) && terms.iter().any(|t| t.starts_with(&self.prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_case_accents_and_compatibility_forms() {
        assert_eq!(
            words("Café DÉJÀ-vu, naïve!"),
            ["cafe", "deja", "vu", "naive"]
        );
        assert_eq!(
            words("ﬁne Ａb  x_y 3.14"),
            ["fine", "ab", "x", "y", "3", "14"]
        );
        assert_eq!(words("Привет, МИР"), ["привет", "мир"]);
        assert_eq!(words("İstanbul"), ["istanbul"]);
        assert!(words(" .,;- ").is_empty());
        let long = "a".repeat(100);
        assert_eq!(words(&long), ["a".repeat(WORD_MAX_CHARS)]);
    }

    #[test]
    fn a_query_needs_a_word_and_at_most_256_characters() {
        assert_eq!(SearchQuery::parse(""), None);
        assert_eq!(SearchQuery::parse(" !? "), None);
        assert!(SearchQuery::parse(&"a".repeat(QUERY_MAX_CHARS)).is_some());
        assert_eq!(SearchQuery::parse(&"a".repeat(QUERY_MAX_CHARS + 1)), None);
        let q = SearchQuery::parse("Deploy the deplo").unwrap();
        assert_eq!(q.whole_words(), ["deploy", "the"]);
        assert_eq!(q.prefix(), "deplo");
        let repeated = SearchQuery::parse("a b a").unwrap();
        assert_eq!(repeated.whole_words(), ["b"]);
        assert_eq!(repeated.prefix(), "a");
    }

    #[test]
    fn matching_is_by_word_with_the_last_as_a_prefix() {
        let q = SearchQuery::parse("cafe deplo").unwrap();
        assert!(q.matches("We deployed the Café"));
        assert!(!q.matches("We deployed the cafeteria"));
        assert!(!q.matches("café redeployed"));
        assert!(SearchQuery::parse("DEPLOY").unwrap().matches("deployment"));
        assert!(!SearchQuery::parse("ploy").unwrap().matches("deployment"));
    }
}
