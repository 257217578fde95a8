//! Commands by one token, for the engine's unit tests of where a command
//! goes (readers or writer) and what counts as a device's use.

use agora_core::accounts::AccountCommand;
use agora_core::command::{ChatRef, Command, Target};
use agora_core::search::SearchQuery;
use agora_core::token::TokenHash;

/// Every kind of command that writes nothing (`Events` aside: it
/// subscribes first), by `caller`.
pub(crate) fn read_only(caller: TokenHash) -> Vec<Command> {
    vec![
        Command::Status { caller },
        Command::Comments {
            caller,
            message_id: 1,
            before: None,
            limit: 20,
        },
        Command::Messages {
            caller,
            chat: ChatRef::Public,
            before: None,
            limit: 20,
        },
        Command::Users {
            caller,
            prefix: "a".into(),
            after: None,
            limit: 20,
        },
        Command::Rooms {
            caller,
            prefix: String::new(),
        },
        Command::Search {
            caller,
            query: Box::new(SearchQuery::parse("deploy").expect("a query")),
            chat: None,
            before: None,
            limit: 20,
        },
    ]
}

/// Commands of contract v3 that write, by `caller`.
pub(crate) fn writing(caller: TokenHash) -> Vec<Command> {
    vec![
        Command::Join {
            caller,
            room: "#lobby".into(),
        },
        Command::Edit {
            caller,
            target: Target::Message(1),
            text: "x".into(),
        },
        Command::Delete {
            caller,
            target: Target::Message(1),
        },
        Command::React {
            caller,
            message_id: 1,
            emoji: "+1".into(),
            remove: false,
        },
        Command::Account(Box::new(AccountCommand::Sessions { caller })),
    ]
}
