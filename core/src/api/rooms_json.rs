//! (issue 25) `GET /rooms`' body.

use super::encode::Time;
use crate::view::{Membership, RoomListing};
use serde::Serialize;

/// `{"rooms": [{"room", "visibility", "topic", "created", "members_number",
/// "membership"}], "truncated": bool}`.
pub(super) fn rooms(rooms: &[RoomListing], truncated: bool) -> RoomsBody<'_> {
    RoomsBody {
        rooms: rooms.iter().map(RoomBody::from).collect(),
        truncated,
    }
}

#[derive(Serialize)]
pub(super) struct RoomsBody<'a> {
    rooms: Vec<RoomBody<'a>>,
    truncated: bool,
}

#[derive(Serialize)]
struct RoomBody<'a> {
    room: &'a str,
    visibility: &'static str,
    topic: &'a str,
    created: Time,
    members_number: u64,
    membership: Option<&'static str>,
}

impl<'a> From<&'a RoomListing> for RoomBody<'a> {
    fn from(listing: &'a RoomListing) -> Self {
        let room = &listing.room;
        RoomBody {
            room: &room.name,
            visibility: if room.public { "public" } else { "private" },
            topic: &room.topic,
            created: Time(room.created),
            members_number: room.members_number,
            membership: listing.membership.map(|m| match m {
                Membership::Member => "member",
                Membership::Invited => "invited",
            }),
        }
    }
}
