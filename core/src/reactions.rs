//! (issue 26) What a reaction and a mention are, apart from any store: the
//! emoji rule, the bounds that keep a message object small whatever people
//! do to it, the `@name`s of a text, and the compact text a store keeps a
//! message's reaction summary in (so that a page of messages reads it with
//! the message row instead of aggregating every reaction).

use crate::records::Reaction;

/// Distinct emoji on one message, at most (409 `too_many_reactions`).
pub const MAX_KINDS: usize = 20;
/// Users listed per emoji (`users`); `count` has them all.
pub const LISTED_USERS: usize = 20;
/// Unicode scalar values in one emoji, at most.
pub const MAX_EMOJI_CHARS: usize = 10;

/// One emoji: 1 to 10 Unicode scalar values, none of them whitespace, a
/// control character or ASCII (so `:)` and `a` are not emoji, while flags,
/// skin tones and ZWJ sequences are).
pub fn is_valid_emoji(emoji: &str) -> bool {
    let count = emoji.chars().count();
    (1..=MAX_EMOJI_CHARS).contains(&count)
        && emoji
            .chars()
            .all(|c| !c.is_ascii() && !c.is_whitespace() && !c.is_control())
}

/// The names a text mentions: each `@name` (a run of user-name characters)
/// that does not follow a letter, digit or `_`, in the order of first
/// mention, each once (names compare without ASCII case). A trailing `.`
/// or `-` is punctuation more often than part of a name ("thanks @bob."),
/// so the name without it is offered too, after the whole run; the caller
/// keeps the first that names a user.
pub fn mentioned_names(text: &str) -> Vec<Vec<String>> {
    let mut found: Vec<Vec<String>> = Vec::new();
    let mut previous: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let starts = c == '@' && !previous.is_some_and(|p| p.is_alphanumeric() || p == '_');
        previous = Some(c);
        if !starts {
            continue;
        }
        let rest = &text[at + 1..];
        let len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            .count();
        let run = &rest[..len];
        let trimmed = run.trim_end_matches(['.', '-']);
        let mut candidates = Vec::new();
        for name in [run, trimmed] {
            if !name.is_empty()
                && name.len() <= crate::api::MAX_USER_NAME
                && !candidates.iter().any(|c: &String| c == name)
            {
                candidates.push(name.to_owned());
            }
        }
        let seen = found.iter().flatten().any(|known| {
            candidates
                .iter()
                .any(|name| known.eq_ignore_ascii_case(name))
        });
        if !candidates.is_empty() && !seen {
            found.push(candidates);
        }
        // The run itself cannot start another mention.
        for _ in 0..run.chars().count() {
            previous = chars.next().map(|(_, c)| c);
        }
    }
    found
}

/// A reaction summary as one text: a line per emoji, `emoji count user..`,
/// separated by spaces (neither an emoji nor a user name holds one).
pub fn summary_text(reactions: &[Reaction]) -> String {
    let mut text = String::new();
    for (i, reaction) in reactions.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        text.push_str(&reaction.emoji);
        text.push(' ');
        text.push_str(&reaction.count.to_string());
        for user in &reaction.users {
            text.push(' ');
            text.push_str(user);
        }
    }
    text
}

/// The summary [`summary_text`] wrote; lines it cannot read are skipped
/// (a store only ever holds what it wrote).
pub fn summary_from_text(text: &str) -> Vec<Reaction> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split(' ');
            let emoji = words.next()?.to_owned();
            let count = words.next()?.parse().ok()?;
            let users = words.map(str::to_owned).collect();
            Some(Reaction {
                emoji,
                count,
                users,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_rule() {
        for good in ["👍", "🇫🇷", "👍🏽", "👩‍💻", "é"] {
            assert!(is_valid_emoji(good), "{good}");
        }
        for bad in ["", "a", ":)", "👍 ", "\u{85}", "👍👍👍👍👍👍👍👍👍👍👍"]
        {
            assert!(!is_valid_emoji(bad), "{bad:?}");
        }
    }

    #[test]
    fn mentions_follow_the_rule() {
        let names = |t: &str| -> Vec<String> {
            mentioned_names(t)
                .into_iter()
                .map(|c| c[0].clone())
                .collect()
        };
        assert_eq!(names("hi @bob and @Carol"), ["bob", "Carol"]);
        assert_eq!(names("mail ann@bob.org, x_@y, 9@z"), Vec::<String>::new());
        assert_eq!(names("@bob @BOB @bob"), ["bob"]);
        assert_eq!(names("(@ann) é@bob"), ["ann"]);
        assert_eq!(mentioned_names("thanks @bob."), [vec!["bob.", "bob"]]);
        assert_eq!(names("@@ann"), ["ann"]);
        assert_eq!(names("@ @"), Vec::<String>::new());
    }

    #[test]
    fn summaries_read_back() {
        let reaction = |emoji: &str, count, users: &[&str]| Reaction {
            emoji: emoji.into(),
            count,
            users: users.iter().map(|&user| user.into()).collect(),
        };
        let reactions = vec![reaction("👍", 3, &["a", "b.c"]), reaction("🇫🇷", 1, &["x"])];
        assert_eq!(summary_from_text(&summary_text(&reactions)), reactions);
        assert_eq!(summary_from_text(""), vec![]);
    }
}
