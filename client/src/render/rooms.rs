//! Human text for rooms, a chat's history pages and the user directory.

use super::{clean, column_width, message};
use crate::localtime::Zone;
use crate::rooms::{MessagePage, RoomList, RoomReply, UserPage};
use std::fmt::Write;

/// `agora rooms`: one room a line, `#design  public  3 members  (member)  topic`.
pub fn rooms(list: &RoomList) -> String {
    if list.rooms.is_empty() {
        return "(no rooms: `agora room create NAME` makes one)\n".to_owned();
    }
    let width = column_width(list.rooms.iter().map(|r| r.room.as_str()));
    let mut out = String::new();
    for r in &list.rooms {
        let membership = match r.membership.as_deref() {
            Some("member") => "  (member)",
            Some("invited") => "  (invited)",
            _ => "",
        };
        let members = match r.members_number {
            1 => "1 member".to_owned(),
            n => format!("{n} members"),
        };
        let _ = write!(
            out,
            "  {:<width$}  {:<7}  {members}{membership}",
            clean(&r.room),
            clean(&r.visibility)
        );
        match r.topic.as_deref() {
            Some(topic) if !topic.is_empty() => {
                let _ = writeln!(out, "  {}", clean(topic));
            }
            _ => out.push('\n'),
        }
    }
    if list.truncated {
        out += "(more rooms: narrow the list with a PREFIX)\n";
    }
    out
}

/// What `agora room create|join|leave|invite` did.
pub fn room_done(action: &str, reply: &RoomReply) -> String {
    let room = clean(&reply.room);
    match action {
        "create" => format!("created {room}; you are its first member\n"),
        "join" => format!("joined {room}\n"),
        "leave" => format!("left {room}\n"),
        _ => format!(
            "invited {} to {room}\n",
            clean(reply.user_name.as_deref().unwrap_or("them"))
        ),
    }
}

/// `agora history`: a page of messages, oldest first, then how to go further back.
pub fn history(page: &MessagePage, zone: Zone, me: &str) -> String {
    let mut out = String::new();
    for m in &page.messages {
        out += &message(m, zone, me);
    }
    let chat = clean(&page.chat);
    match page.messages.first() {
        Some(oldest) if page.more => {
            let _ = writeln!(
                out,
                "--- older messages: agora history --with '{chat}' --before {} ---",
                oldest.id
            );
        }
        Some(_) => out += "--- the beginning of the chat ---\n",
        None => {
            let _ = writeln!(
                out,
                "(no older messages in {})",
                super::chat_title(&page.chat)
            );
        }
    }
    out
}

/// `agora users`: one name a line.
pub fn users(page: &UserPage) -> String {
    let mut out = String::new();
    for u in &page.users {
        out += &clean(&u.user_name);
        out.push('\n');
    }
    if page.users.is_empty() {
        out += "(no such users)\n";
    }
    if page.more {
        out += "(more users: narrow the list with a longer PREFIX)\n";
    }
    out
}

/// A `member` event: `bob joined #design`.
pub fn member(chat: &str, user: &str, action: &str) -> String {
    let (user, room) = (clean(user), clean(chat));
    match action {
        "joined" => format!("{user} joined {room}\n"),
        "left" => format!("{user} left {room}\n"),
        "invited" => format!("{user} was invited to {room}\n"),
        other => format!("{user}: {} in {room}\n", clean(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_show_visibility_members_membership_and_topic() {
        let list: RoomList = serde_json::from_str(
            r##"{"rooms":[
                {"room":"#design","visibility":"public","topic":"pixels","created":"2026-12-07T06:00:00Z",
                 "members_number":3,"membership":"member"},
                {"room":"#ops-team","visibility":"private","topic":"","created":"2026-12-07T06:00:00Z",
                 "members_number":1,"membership":"invited"},
                {"room":"#x","visibility":"public","created":"2026-12-07T06:00:00Z",
                 "members_number":0,"membership":null}],"truncated":true}"##,
        )
        .unwrap();
        assert_eq!(
            rooms(&list),
            "  #design    public   3 members  (member)  pixels\n\
             \x20 #ops-team  private  1 member  (invited)\n\
             \x20 #x         public   0 members\n\
             (more rooms: narrow the list with a PREFIX)\n"
        );
    }

    #[test]
    fn history_says_how_to_go_further_back_until_the_beginning() {
        let mut page: MessagePage = serde_json::from_str(
            r##"{"chat":"#design","more":true,"messages":[
                {"id":4,"author":"bob","pub_date":"2026-12-07T06:00:00Z","message_text":"a"},
                {"id":9,"author":"ann","pub_date":"2026-12-07T06:01:00Z","message_text":"b"}]}"##,
        )
        .unwrap();
        let text = history(&page, Zone::Utc, "me");
        assert!(
            text.starts_with("2026-12-07 06:00:00  #4  bob: a\n"),
            "{text}"
        );
        assert!(
            text.ends_with("--- older messages: agora history --with '#design' --before 4 ---\n"),
            "{text}"
        );
        page.more = false;
        assert!(history(&page, Zone::Utc, "me").ends_with("--- the beginning of the chat ---\n"));
        page.messages.clear();
        assert_eq!(
            history(&page, Zone::Utc, "me"),
            "(no older messages in the room #design)\n"
        );
    }

    #[test]
    fn member_events_and_users() {
        assert_eq!(member("#design", "bob", "joined"), "bob joined #design\n");
        assert_eq!(
            member("#design", "bob", "invited"),
            "bob was invited to #design\n"
        );
        let page: UserPage = serde_json::from_str(
            r#"{"users":[{"user_name":"Bob"},{"user_name":"bobby"}],"more":true}"#,
        )
        .unwrap();
        assert_eq!(
            users(&page),
            "Bob\nbobby\n(more users: narrow the list with a longer PREFIX)\n"
        );
    }
}
