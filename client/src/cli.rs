//! The command line (clap derive).

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "agora",
    version,
    about = "Command-line client for an agora chat server",
    after_help = "Tokens are saved per server and user in tokens.json (mode 0600) in \
                  $AGORA_CONFIG_DIR if set, else in $XDG_CONFIG_HOME/agora, else in \
                  ~/.config/agora.\n\n\
                  Exit codes: 0 success, 1 refused by the server, 2 usage error or no \
                  saved token, 3 server unreachable."
)]
pub struct Cli {
    /// The server, as http://host:port.
    #[arg(
        long,
        global = true,
        env = "AGORA_SERVER",
        default_value = "http://127.0.0.1:8000"
    )]
    pub server: String,

    /// Act as this user (default: the only user with a saved token for the server).
    #[arg(long, global = true, env = "AGORA_USER")]
    pub user: Option<String>,

    /// Print the server's JSON answers as they are.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Create a user on the server and save its token.
    Register {
        /// 1 to 32 letters, digits, '_', '-', '.'.
        name: String,
    },
    /// Sign in as an existing user with its password (asked on the
    /// terminal, without echo; read from standard input when it is not a
    /// terminal): a new device token, saved. With --token, save a token you
    /// already have instead, once the server confirms it is that user's.
    Login {
        /// The user to sign in as.
        name: String,
        /// A token the server gave that user (32 hex characters).
        #[arg(long)]
        token: Option<String>,
        /// A label for this device in `agora sessions` (default: this host's name).
        #[arg(long)]
        device: Option<String>,
    },
    /// Send a message to the public chat, or privately with --to.
    Send {
        /// The user to send a private message to.
        #[arg(long)]
        to: Option<String>,
        /// The message; several words are joined with spaces.
        #[arg(required = true, num_args = 1.., allow_hyphen_values = true)]
        text: Vec<String>,
    },
    /// Show a chat's history, then its unread messages (marked), and mark them read.
    Read {
        /// The user of the private chat to read (default: the public chat).
        #[arg(long = "with")]
        with: Option<String>,
        /// How many messages of history to show (server default: 20, at most
        /// 100 unless the server allows more).
        #[arg(short = 'n', long = "number", value_parser = message_count)]
        number: Option<u32>,
    },
    /// Show your chats, unread counts, cautions, ban and quota.
    Status,
    /// Comment on a message.
    Comment {
        /// The message's number, shown as #N by `read`.
        message_id: u64,
        /// The comment; several words are joined with spaces.
        #[arg(required = true, num_args = 1.., allow_hyphen_values = true)]
        text: Vec<String>,
    },
    /// Report a user for their messages in the public chat (or with --private,
    /// in your private chat with them).
    Report {
        /// The user to report.
        // Not named `user`: that id is the global --user.
        #[arg(value_name = "USER")]
        target: String,
        /// Report them for their messages in your private chat with them
        /// instead.
        #[arg(long)]
        private: bool,
    },
    /// Interactive mode: type lines to chat, /help for commands.
    Chat,
    /// Print your messages, comments and bans as they arrive, one line each
    /// (with --json the server's event objects, one per line), from now on,
    /// until Ctrl-C. A lost connection is resumed where it broke off.
    Watch {
        /// Start after this event id instead of now (0: from the first).
        #[arg(long, value_name = "ID")]
        since: Option<u64>,
    },
    // (issue 26)
    /// Replace the text of one of your messages (or with --comment, comments).
    Edit {
        /// The message's number (#N in `read`), or with --comment the comment's.
        id: u64,
        /// ID is a comment's number.
        #[arg(long)]
        comment: bool,
        /// The new text; several words are joined with spaces.
        #[arg(required = true, num_args = 1.., allow_hyphen_values = true)]
        text: Vec<String>,
    },
    /// Delete one of your messages (or with --comment, comments); its text is
    /// erased on the server. Moderators may delete anyone's.
    Delete {
        /// The message's number, or with --comment the comment's.
        id: u64,
        /// ID is a comment's number.
        #[arg(long)]
        comment: bool,
    },
    /// React to a message with an emoji (or take it back with --remove).
    React {
        /// The message's number.
        message_id: u64,
        /// One emoji, e.g. 👍.
        emoji: String,
        /// Take your reaction back.
        #[arg(long)]
        remove: bool,
    },
    /// Set your password, or change it (asks for the current one first).
    Passwd,
    /// List the devices signed in as you.
    Sessions,
    /// Sign out this device (its saved token stops working), or with
    /// --device another of yours (ids from `agora sessions`).
    Logout {
        #[arg(long, value_name = "ID")]
        device: Option<String>,
    },
    /// (issue 27) Find the messages you can see that hold every word of
    /// QUERY (any case, any accents; the last word may be the start of
    /// one), newest first.
    Search {
        /// Search one chat only: `public_chat`, a user's name or a room's
        /// `#name` (quote it in the shell: '#design').
        #[arg(long = "in", value_name = "CHAT")]
        chat: Option<String>,
        /// The words to look for; several are joined with spaces. Unlike a
        /// message's text, they may be followed by --in (a word starting
        /// with `-` goes after `--`).
        #[arg(required = true, num_args = 1..)]
        query: Vec<String>,
    },
    /// List the public rooms and the private rooms you are in or invited to.
    Rooms {
        /// Only rooms whose name starts with this ('#' optional).
        prefix: Option<String>,
    },
    /// Create, join, leave a room or invite someone to it.
    Room {
        #[command(subcommand)]
        action: RoomAction,
    },
    /// Page back through a chat's older messages (marks nothing read).
    History {
        /// The chat: a user, a '#room' (default: the public chat).
        #[arg(long = "with")]
        with: Option<String>,
        /// Show messages older than this message number.
        #[arg(long, value_name = "ID")]
        before: Option<u64>,
        /// How many messages (1 to 100; server default 50).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
        limit: Option<u32>,
    },
    /// List users whose names start with PREFIX (any case).
    Users { prefix: Option<String> },
}

/// `agora room ...`: ROOM is `#name` or `name`.
#[derive(Debug, PartialEq, Eq, Subcommand)]
pub enum RoomAction {
    /// Create a room (public unless --private); you become its first member.
    Create {
        room: String,
        /// Only invited users can see and join it.
        #[arg(long)]
        private: bool,
        /// What the room is about (up to 256 characters).
        #[arg(long)]
        topic: Option<String>,
    },
    /// Join a public room, or a private one you were invited to.
    Join { room: String },
    /// Leave a room.
    Leave { room: String },
    /// Invite USER to a room you are a member of.
    Invite {
        room: String,
        #[arg(value_name = "USER")]
        target: String,
    },
}

/// `-n`: a number of messages, from 1. The largest is the server's to say.
fn message_count(text: &str) -> Result<u32, String> {
    const WANTED: &str = "give a number of messages from 1 up (the server allows up to \
                          100 unless configured otherwise)";
    match text.parse() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(WANTED.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("agora").chain(args.iter().copied()))
    }

    #[test]
    fn global_flags_anywhere() {
        let cli = parse(&["send", "--json", "--server", "http://h:1", "hi"]).unwrap();
        assert!(cli.json);
        assert_eq!(cli.server, "http://h:1");
        let cli = parse(&["--user", "bob", "status"]).unwrap();
        assert_eq!(cli.user.as_deref(), Some("bob"));
        assert_eq!(cli.command, Command::Status);
        // The global --user and report's USER are different arguments.
        let cli = parse(&["--user", "bob", "report", "alice"]).unwrap();
        assert_eq!(cli.user.as_deref(), Some("bob"));
        assert_eq!(
            cli.command,
            Command::Report {
                target: "alice".into(),
                private: false
            }
        );
    }

    #[test]
    fn subcommands_and_their_arguments() {
        let cases: [(&[&str], Command); 12] = [
            (
                &["login", "alice"],
                Command::Login {
                    name: "alice".into(),
                    token: None,
                    device: None,
                },
            ),
            (&["passwd"], Command::Passwd),
            (&["sessions"], Command::Sessions),
            (
                &["logout", "--device", "7"],
                Command::Logout {
                    device: Some("7".into()),
                },
            ),
            (
                &["send", "--to", "bob", "hello", "there"],
                Command::Send {
                    to: Some("bob".into()),
                    text: vec!["hello".into(), "there".into()],
                },
            ),
            (
                &["send", "-5", "degrees"],
                Command::Send {
                    to: None,
                    text: vec!["-5".into(), "degrees".into()],
                },
            ),
            (
                &["read", "--with", "bob", "-n", "5"],
                Command::Read {
                    with: Some("bob".into()),
                    number: Some(5),
                },
            ),
            (
                &["comment", "18", "+1"],
                Command::Comment {
                    message_id: 18,
                    text: vec!["+1".into()],
                },
            ),
            (
                &["report", "bob", "--private"],
                Command::Report {
                    target: "bob".into(),
                    private: true,
                },
            ),
            (&["chat"], Command::Chat),
            (&["watch"], Command::Watch { since: None }),
            (
                &["login", "alice", "--token", "00ff"],
                Command::Login {
                    name: "alice".into(),
                    token: Some("00ff".into()),
                    device: None,
                },
            ),
        ];
        for (args, command) in cases {
            assert_eq!(parse(args).unwrap().command, command, "{args:?}");
        }
        let cli = parse(&["room", "create", "#design", "--private", "--topic", "UI"]).unwrap();
        assert_eq!(
            cli.command,
            Command::Room {
                action: RoomAction::Create {
                    room: "#design".into(),
                    private: true,
                    topic: Some("UI".into()),
                },
            }
        );
        let cli = parse(&["--user", "ann", "room", "invite", "design", "bob"]).unwrap();
        assert_eq!(cli.user.as_deref(), Some("ann"));
        assert_eq!(
            cli.command,
            Command::Room {
                action: RoomAction::Invite {
                    room: "design".into(),
                    target: "bob".into(),
                },
            }
        );
        let cli = parse(&[
            "history", "--with", "#design", "--before", "9", "--limit", "5",
        ])
        .unwrap();
        assert_eq!(
            cli.command,
            Command::History {
                with: Some("#design".into()),
                before: Some(9),
                limit: Some(5),
            }
        );
        let cli = parse(&["watch", "--json", "--since", "42"]).unwrap();
        assert!(cli.json);
        assert_eq!(cli.command, Command::Watch { since: Some(42) });
    }

    #[test]
    fn usage_errors() {
        for bad in [
            &[][..],
            &["send"],
            &["comment", "x", "hi"],
            &["comment", "18"],
            &["read", "-n", "many"],
            &["read", "-n", "0"],
            &["login"],
            &["register"],
            &["watch", "--since", "-1"],
            &["watch", "--since", "x"],
            &["frobnicate"],
            &["room"],
            &["room", "invite", "#design"],
            &["history", "--limit", "0"],
            &["history", "--limit", "101"],
        ] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
    }
}
