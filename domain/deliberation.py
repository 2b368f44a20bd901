"""Deliberation 议事协商: the six steps of a topic, who may move it, its roll and its vote.

「提出协商议题、确定协商主体、公告协商信息、开展协商活动、实施协商成果、反馈落实情况」 as states:

    proposed → accepted | declined | merged
    accepted → participants (scope, rule and roll decided)
    participants → announced (deliberating: comments, meetings; the announcement period runs)
    announced → voting (by the clock) → carrying_out (passed) | closed (not passed)
    carrying_out → reported (outcome and implementation reported back)
    reported → closed (after residents' evaluation 民事民评)

Every step is an append-only `TopicEvent`. Stewards move topics: community staff for anything in
their community, a building leader for a topic scoped to their building, sub-district staff
everywhere. Counting is in domain.tally; this module turns rows into its inputs.
"""

from __future__ import annotations

import csv
import enum
import hashlib
import io
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from sqlmodel import Session, col, select

from domain import access, tally
from domain.clock import Clock, aware
from domain.lifecycle import Refused
from nlp.privacy import mask_pii
from storage.locks import hold
from storage.models import (
    Building,
    ChatBinding,
    Community,
    Compound,
    Person,
    RoleGrant,
    ScopeKind,
    Ticket,
    TicketFollower,
)
from storage.models_deliberation import (
    Elector,
    Evaluation,
    Household,
    Meeting,
    Owner,
    Participation,
    SecretReceipt,
    SecretTotal,
    Topic,
    TopicComment,
    TopicEvent,
    TopicTask,
)

RATINGS = ("satisfied", "basic", "dissatisfied")  # 满意 / 基本满意 / 不满意
QUESTION = (tally.YES, "no", tally.ABSTAIN)
MEETING_KINDS = ("night_talk", "roundtable", "hall")  # 社区夜话 / 社区圆桌会 / 睦邻议事厅
PARTY_KINDS = ("residents_committee", "owners_committee", "property_company")
SCOPES = ("building", "unit", "compound", "community", "households")
ANNOUNCE_DAYS = (0, 1, 3, 7)
VOTE_DAYS = (1, 3, 7, 14)
CLOSE_REMINDER = timedelta(hours=24)
MEETING_REMINDER = timedelta(hours=2)
EVALUATION_PERIOD = timedelta(days=14)


class State(enum.StrEnum):
    """Where a topic is among the six steps."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    MERGED = "merged"
    PARTICIPANTS = "participants"
    ANNOUNCED = "announced"
    VOTING = "voting"
    CARRYING_OUT = "carrying_out"
    REPORTED = "reported"
    CLOSED = "closed"


class Act(enum.StrEnum):
    """Everything that can happen to a topic."""

    PROPOSE = "propose"
    FROM_TICKETS = "from_tickets"
    ACCEPT = "accept"
    DECLINE = "decline"
    MERGE = "merge"
    CONFIGURE = "configure"
    FIX_ROLL = "fix_roll"
    UNFIX_ROLL = "unfix_roll"
    ANNOUNCE = "announce"
    OPEN_VOTE = "open_vote"
    COMMENT = "comment"
    MEETING = "meeting"
    VOTE = "vote"
    OFFLINE_VOTE = "offline_vote"
    REMOVE_ELECTOR = "remove_elector"
    REMIND = "remind"
    CLOSE_VOTE = "close_vote"
    TASK = "task"
    PROGRESS = "progress"
    REPORT_BACK = "report_back"
    EVALUATE = "evaluate"
    CLOSE = "close"


class Role(enum.StrEnum):
    """In what capacity someone acts on a topic."""

    STEWARD = "steward"
    PROPOSER = "proposer"
    ELECTOR = "elector"
    SYSTEM = "system"


S = State
_DELIBERATING = frozenset({S.ANNOUNCED, S.VOTING})
_ROLL_OPEN = frozenset({S.PARTICIPANTS, S.ANNOUNCED, S.VOTING})


@dataclass(frozen=True)
class Move:
    """An allowed step: from these states, by these roles, to a state (None: unchanged)."""

    sources: frozenset[str]
    roles: frozenset[Role]
    target: str | None


def _m(sources: Iterable[str], roles: Iterable[Role], target: str | None) -> Move:
    return Move(frozenset(sources), frozenset(roles), target)


STEWARD, ELECTOR, SYSTEM = Role.STEWARD, Role.ELECTOR, Role.SYSTEM
MOVES: dict[Act, Move] = {
    Act.ACCEPT: _m({S.PROPOSED}, {STEWARD}, S.ACCEPTED),
    Act.DECLINE: _m({S.PROPOSED}, {STEWARD}, S.DECLINED),
    Act.MERGE: _m({S.PROPOSED, S.ACCEPTED}, {STEWARD}, S.MERGED),
    Act.CONFIGURE: _m({S.ACCEPTED}, {STEWARD}, None),
    Act.FIX_ROLL: _m({S.ACCEPTED}, {STEWARD}, S.PARTICIPANTS),
    Act.UNFIX_ROLL: _m({S.PARTICIPANTS}, {STEWARD}, S.ACCEPTED),
    Act.ANNOUNCE: _m({S.PARTICIPANTS}, {STEWARD}, S.ANNOUNCED),
    Act.OPEN_VOTE: _m({S.ANNOUNCED}, {SYSTEM}, S.VOTING),
    Act.COMMENT: _m(_DELIBERATING, {STEWARD, ELECTOR}, None),
    Act.MEETING: _m(_DELIBERATING, {STEWARD}, None),
    Act.VOTE: _m({S.VOTING}, {ELECTOR}, None),
    Act.OFFLINE_VOTE: _m({S.VOTING}, {STEWARD}, None),
    Act.REMOVE_ELECTOR: _m(_ROLL_OPEN, {STEWARD}, None),
    Act.REMIND: _m({S.VOTING}, {SYSTEM}, None),
    Act.CLOSE_VOTE: _m({S.VOTING}, {SYSTEM, STEWARD}, None),  # target depends on the result
    Act.TASK: _m({S.CARRYING_OUT}, {STEWARD}, None),
    Act.PROGRESS: _m({S.CARRYING_OUT}, {STEWARD}, None),
    Act.REPORT_BACK: _m({S.CARRYING_OUT}, {STEWARD}, S.REPORTED),
    Act.EVALUATE: _m({S.REPORTED}, {ELECTOR, Role.PROPOSER}, None),
    Act.CLOSE: _m({S.REPORTED}, {STEWARD, SYSTEM}, S.CLOSED),
}


def check(act: Act, state: str, roles: set[Role]) -> str:
    """The state after `act`, or Refused (reason: a locale key)."""
    move = MOVES[act]
    if state not in move.sources:
        raise Refused("dl-refused-state", state=f"dl-state-{state}")
    if not roles & move.roles:
        raise Refused("dl-refused-role")
    return move.target or state


def allowed(state: str, roles: set[Role]) -> list[Act]:
    """What someone may do now, in table order (which buttons to show)."""
    return [a for a, m in MOVES.items() if state in m.sources and roles & m.roles]


def fraction_of(area: Decimal | None) -> Fraction | None:
    return None if area is None else Fraction(area)


def parse_share(text: str) -> Fraction:
    """ "2/3" or "0.5" → an exact fraction in (0, 1]."""
    value = Fraction(text.strip())
    if not 0 < value <= 1:
        raise ValueError(text)
    return value


def receipt_of(token: str) -> str:
    """What is stored of a secret ballot's token: its hash (the token stays with the voter)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class CastResult:
    """What a vote did: new, changed or the same as before; a secret ballot's new token."""

    status: str  # new | changed | same
    choice: str
    token: str | None = None
    electors: int = 1


@dataclass
class RollRow:
    """One line of an owners' roll CSV."""

    building: str
    household: str
    owner: str
    area: Decimal | None
    telegram_id: int | None


class RollError(ValueError):
    """A bad owners' roll file; the message names the line."""


def read_roll(text: str) -> list[RollRow]:
    """Parse an owners' roll: columns building, household, owner, area[, telegram_id].

    `building` is a path (TD/铜都花园/3栋); `area` the exclusive floor area in m², may be empty.
    """
    rows: list[RollRow] = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    needed = {"building", "household", "owner", "area"}
    if reader.fieldnames is None or not needed <= set(reader.fieldnames):
        raise RollError(f"columns needed: {', '.join(sorted(needed))}")
    for number, line in enumerate(reader, start=2):
        raw_area = (line.get("area") or "").strip()
        try:
            area = Decimal(raw_area) if raw_area else None
        except InvalidOperation:
            raise RollError(f"line {number}: area {raw_area!r} is not a number") from None
        if area is not None and (area < 0 or not area.is_finite()):
            raise RollError(f"line {number}: area {raw_area!r} must be zero or more")
        raw_id = (line.get("telegram_id") or "").strip()
        if raw_id and not raw_id.lstrip("-").isdigit():
            raise RollError(f"line {number}: telegram_id {raw_id!r} is not a number")
        household, owner = (line.get("household") or "").strip(), (line.get("owner") or "").strip()
        if not household or not owner:
            raise RollError(f"line {number}: household and owner are required")
        rows.append(
            RollRow(
                (line.get("building") or "").strip(),
                household,
                owner,
                area,
                int(raw_id) if raw_id else None,
            )
        )
    return rows


def import_roll(
    session: Session, rows: Sequence[RollRow], resolve: Callable[[str], Building]
) -> dict[str, int]:
    """Store an owners' roll (idempotent: households are updated, owners replaced per
    household). `resolve(path) → Building` finds a building by its path."""
    households: dict[tuple[int, str], Household] = {}
    owners = 0
    for row in rows:
        building = resolve(row.building)
        key = (building.id or 0, row.household)
        home = households.get(key)
        if home is None:
            home = session.exec(
                select(Household).where(
                    Household.building_id == building.id, Household.label == row.household
                )
            ).first() or Household(building_id=building.id or 0, label=row.household)
            home.area = row.area
            session.add(home)
            session.flush()
            for old in session.exec(select(Owner).where(Owner.household_id == home.id)):
                session.delete(old)
            session.flush()
            households[key] = home
        session.add(Owner(household_id=home.id or 0, name=row.owner, telegram_id=row.telegram_id))
        owners += 1
    session.flush()
    return {"households": len(households), "owners": owners}


class Deliberation:
    """All changes to topics go through here, each recorded as a TopicEvent."""

    def __init__(self, session: Session, clock: Clock):
        self.session = session
        self.clock = clock

    # --- who ---------------------------------------------------------------------------------

    def is_steward(self, topic: Topic, grants: Sequence[RoleGrant]) -> bool:
        """Community staff of the topic's community, the building leader of a building topic."""
        return access.is_steward(topic, grants)

    def roles(self, topic: Topic, person: Person | None, grants: Sequence[RoleGrant]) -> set[Role]:
        if person is None:
            return {Role.SYSTEM}
        found: set[Role] = set()
        if self.is_steward(topic, grants):
            found.add(Role.STEWARD)
        if topic.proposer_id == person.id:
            found.add(Role.PROPOSER)
        if self.electors_of(topic, person):
            found.add(Role.ELECTOR)
        return found

    def _authorise(
        self, topic: Topic, person: Person | None, grants: Sequence[RoleGrant], act: Act
    ) -> str:
        return check(act, topic.state, self.roles(topic, person, grants))

    # --- step 1: proposing -------------------------------------------------------------------

    def _next_number(self, community: Community) -> str:
        """TD-YS001, TD-YS002 … per community. Held until the transaction ends, so that two
        proposals at once (several worker threads) cannot both take the same number."""
        hold(self.session, "topic-number", community.id or 0)
        prefix = f"{community.code}-YS"
        numbers = self.session.exec(
            select(Topic.number).where(col(Topic.number).startswith(prefix))
        ).all()
        last = max(
            (int(n[len(prefix) :]) for n in numbers if n[len(prefix) :].isdigit()), default=0
        )
        return f"{prefix}{last + 1:03d}"

    def propose(self, person: Person, text: str, *, community_id: int | None = None) -> Topic:
        """A resident's proposal; scoped to their building until stewards decide otherwise."""
        building = self.session.get(Building, person.building_id) if person.building_id else None
        if building is not None:
            compound = self.session.get_one(Compound, building.compound_id)
            community = self.session.get_one(Community, compound.community_id)
            kind, scope_id = "building", building.id or 0
        elif community_id is not None:
            community = self.session.get_one(Community, community_id)
            kind, scope_id = "community", community_id
        else:
            raise Refused("dl-refused-register")
        # The title goes to groups and ballots (masked before it is cut: no half numbers).
        title = mask_pii(text.strip().splitlines()[0])[:60]
        topic = Topic(
            number=self._next_number(community),
            community_id=community.id or 0,
            title=title,
            text=text.strip(),
            proposer_id=person.id or 0,
            state=State.PROPOSED,
            scope_kind=kind,
            scope_id=scope_id,
            created_at=self.clock.now(),
        )
        self.session.add(topic)
        self.session.flush()
        self._record(topic, person.id, Act.PROPOSE, None, note=text.strip())
        return topic

    def from_tickets(
        self,
        person: Person,
        grants: Sequence[RoleGrant],
        numbers: Sequence[str],
        title: str,
    ) -> tuple[Topic, list[Person]]:
        """Staff turn a cluster of tickets (the same problem from many) into an accepted topic;
        returns the topic and the tickets' followers, who are told."""
        tickets: list[Ticket] = []
        for number in numbers:
            ticket = self.session.exec(
                select(Ticket).where(Ticket.number == number.strip().upper())
            ).first()
            if ticket is None:
                raise Refused("dl-refused-no-ticket", number=number)
            tickets.append(ticket)
        if not tickets:
            raise Refused("dl-usage-fromtickets")
        community = self.session.get_one(Community, tickets[0].community_id)
        if any(tk.community_id != community.id for tk in tickets):
            raise Refused("dl-refused-tickets-communities")
        buildings = {tk.building_id for tk in tickets}
        building_id = next(iter(buildings)) if len(buildings) == 1 else None
        kind, scope_id = ("building", building_id) if building_id else ("community", community.id)
        topic = Topic(
            number=self._next_number(community),
            community_id=community.id or 0,
            # Made of residents' reports, read by all in scope: nobody's number goes along.
            title=mask_pii(title.strip() or tickets[0].text)[:60],
            text="\n".join(f"{tk.number}: {mask_pii(tk.text)}" for tk in tickets),
            proposer_id=person.id or 0,
            state=State.ACCEPTED,
            scope_kind=kind,
            scope_id=scope_id or 0,
            source_tickets=[tk.number for tk in tickets],
            created_at=self.clock.now(),
        )
        if not self.is_steward(topic, grants):
            raise Refused("dl-refused-role")
        self.session.add(topic)
        self.session.flush()
        self._record(
            topic, person.id, Act.FROM_TICKETS, None, data={"tickets": topic.source_tickets}
        )
        followers = self.session.exec(
            select(Person)
            .join(TicketFollower, col(TicketFollower.person_id) == col(Person.id))
            .where(col(TicketFollower.ticket_id).in_([tk.id for tk in tickets]))
            .distinct()
            .order_by(col(Person.id))
        ).all()
        return topic, list(followers)

    def accept(self, topic: Topic, person: Person, grants: Sequence[RoleGrant]) -> TopicEvent:
        return self._move(topic, person, grants, Act.ACCEPT)

    def decline(
        self, topic: Topic, person: Person, grants: Sequence[RoleGrant], reason: str
    ) -> TopicEvent:
        return self._move(topic, person, grants, Act.DECLINE, note=reason)

    def merge(
        self,
        topic: Topic,
        person: Person,
        grants: Sequence[RoleGrant],
        into: Topic,
        reason: str,
    ) -> TopicEvent:
        """Fold a topic into another one on the same matter; its proposer follows the other."""
        if into.id == topic.id or into.state in (S.DECLINED, S.MERGED, S.CLOSED):
            raise Refused("dl-refused-merge-target", number=into.number)
        if into.community_id != topic.community_id:
            raise Refused("dl-refused-merge-target", number=into.number)
        topic.merged_into_id = into.id
        return self._move(topic, person, grants, Act.MERGE, note=reason, data={"into": into.number})

    # --- step 2: who takes part --------------------------------------------------------------

    def configure(
        self, topic: Topic, person: Person, grants: Sequence[RoleGrant], **changes: Any
    ) -> TopicEvent:
        """Change how the topic is decided (scope, rule, ballot, options, parties, timing)."""
        self._authorise(topic, person, grants, Act.CONFIGURE)
        for name, value in changes.items():
            if not hasattr(topic, name):
                raise ValueError(name)
            setattr(topic, name, value)
        if tally.Rule(topic.rule).by_area or topic.scope_kind in ("unit", "households"):
            topic.by_household = True  # owners' rules and home lists count households
        if tally.Rule(topic.rule).by_area and topic.options:
            topic.options = []
        return self._move(
            topic, person, grants, Act.CONFIGURE, data={k: _plain(v) for k, v in changes.items()}
        )

    def scope_buildings(self, topic: Topic) -> list[Building]:
        """The buildings a topic's scope covers."""
        if topic.scope_kind in ("building", "unit", "households"):
            building = self.session.get(Building, topic.scope_id)
            return [building] if building else []
        query = select(Building).join(Compound, col(Compound.id) == col(Building.compound_id))
        if topic.scope_kind == "compound":
            query = query.where(Compound.id == topic.scope_id)
        else:
            query = query.where(Compound.community_id == topic.scope_id)
        return list(self.session.exec(query.order_by(col(Building.id))).all())

    def households_in_scope(self, topic: Topic) -> list[Household]:
        ids = [b.id for b in self.scope_buildings(topic)]
        homes = self.session.exec(
            select(Household)
            .where(col(Household.building_id).in_(ids))
            .order_by(col(Household.building_id), col(Household.label))
        ).all()
        if topic.scope_kind == "unit":
            units = tuple(f"{u}-" for u in topic.scope_detail)
            return [h for h in homes if h.label.startswith(units)]
        if topic.scope_kind == "households":
            wanted = set(topic.scope_detail)
            return [h for h in homes if h.label in wanted]
        return list(homes)

    def fix_roll(self, topic: Topic, person: Person, grants: Sequence[RoleGrant]) -> TopicEvent:
        """Draw up the roll of eligible voters from the scope."""
        self._authorise(topic, person, grants, Act.FIX_ROLL)
        electors: list[Elector] = []
        if topic.by_household:
            for home in self.households_in_scope(topic):
                electors.append(
                    Elector(topic_id=topic.id or 0, household_id=home.id, area=home.area)
                )
        else:
            ids = [b.id for b in self.scope_buildings(topic)]
            residents = self.session.exec(
                select(Person).where(col(Person.building_id).in_(ids)).order_by(col(Person.id))
            ).all()
            electors = [Elector(topic_id=topic.id or 0, person_id=p.id) for p in residents]
        if not electors:
            raise Refused("dl-refused-empty-roll")
        for elector in electors:
            self.session.add(elector)
        return self._move(topic, person, grants, Act.FIX_ROLL, data={"electors": len(electors)})

    def unfix_roll(self, topic: Topic, person: Person, grants: Sequence[RoleGrant]) -> TopicEvent:
        self._authorise(topic, person, grants, Act.UNFIX_ROLL)
        for elector in self.roll(topic, include_removed=True):
            self.session.delete(elector)
        return self._move(topic, person, grants, Act.UNFIX_ROLL)

    def roll(self, topic: Topic, *, include_removed: bool = False) -> list[Elector]:
        query = select(Elector).where(Elector.topic_id == topic.id)
        if not include_removed:
            query = query.where(col(Elector.removed_at).is_(None))
        return list(self.session.exec(query.order_by(col(Elector.id))).all())

    def electors_of(self, topic: Topic, person: Person) -> list[Elector]:
        """The roll entries this person votes for (themselves, or households they own)."""
        if topic.by_household:
            if person.telegram_id is None:
                return []
            query = (
                select(Elector)
                .join(Owner, col(Owner.household_id) == col(Elector.household_id))
                .where(
                    Elector.topic_id == topic.id,
                    Owner.telegram_id == person.telegram_id,
                    col(Elector.removed_at).is_(None),
                )
                .distinct()
            )
        else:
            query = select(Elector).where(
                Elector.topic_id == topic.id,
                Elector.person_id == person.id,
                col(Elector.removed_at).is_(None),
            )
        return list(self.session.exec(query.order_by(col(Elector.id))).all())

    def people_of(self, elector: Elector) -> list[Person]:
        """Who can be reached for a roll entry (a household's owners who use the bot)."""
        if elector.person_id is not None:
            person = self.session.get(Person, elector.person_id)
            return [person] if person else []
        return list(
            self.session.exec(
                select(Person)
                .join(Owner, col(Owner.telegram_id) == col(Person.telegram_id))
                .where(Owner.household_id == elector.household_id)
                .order_by(col(Person.id))
            ).all()
        )

    def eligible_people(self, topic: Topic, *, not_voted: bool = False) -> list[Person]:
        """Everyone reachable on the roll; with `not_voted`, only those who have not voted."""
        voted = self._voted_electors(topic) if not_voted else set()
        seen: dict[int, Person] = {}
        for elector in self.roll(topic):
            if elector.id in voted:
                continue
            for person in self.people_of(elector):
                seen.setdefault(person.id or 0, person)
        return list(seen.values())

    def participants(self, topic: Topic) -> list[Person]:
        """Who hears of carrying out and is asked to evaluate: the roll and the proposer."""
        people = {p.id: p for p in self.eligible_people(topic)}
        proposer = self.session.get(Person, topic.proposer_id)
        if proposer is not None:
            people.setdefault(proposer.id, proposer)
        return list(people.values())

    def label_of(self, elector: Elector) -> str:
        if elector.household_id is not None:
            home = self.session.get_one(Household, elector.household_id)
            building = self.session.get_one(Building, home.building_id)
            return f"{building.name} {home.label}"
        person = self.session.get(Person, elector.person_id) if elector.person_id else None
        return person.name if person else "?"

    def find_elector(self, topic: Topic, ref: str) -> Elector | None:
        """A roll entry by household label ("2-301", "3栋 2-301") or by person name."""
        ref = ref.strip()
        for elector in self.roll(topic):
            label = self.label_of(elector)
            if ref == label or label.endswith(f" {ref}"):
                return elector
        return None

    def chats_in_scope(self, topic: Topic) -> list[ChatBinding]:
        """Bound group chats whose place lies within the topic's scope."""
        buildings = self.scope_buildings(topic)
        building_ids = {b.id for b in buildings}
        compound_ids = {b.compound_id for b in buildings}
        chats = []
        for chat in self.session.exec(select(ChatBinding).order_by(col(ChatBinding.chat_id))):
            inside = (
                (chat.scope_kind == ScopeKind.BUILDING and chat.scope_id in building_ids)
                or (
                    chat.scope_kind == ScopeKind.COMPOUND
                    and topic.scope_kind in ("compound", "community")
                    and chat.scope_id in compound_ids
                )
                or (
                    chat.scope_kind == ScopeKind.COMMUNITY
                    and topic.scope_kind == "community"
                    and chat.scope_id == topic.scope_id
                )
            )
            if inside:
                chats.append(chat)
        return chats

    # --- step 3: announcement ----------------------------------------------------------------

    def announce(
        self,
        topic: Topic,
        person: Person,
        grants: Sequence[RoleGrant],
        text: str,
        attachment: str | None = None,
    ) -> TopicEvent:
        """Publish the topic; voting opens when the announcement period is over."""
        self._authorise(topic, person, grants, Act.ANNOUNCE)
        now = self.clock.now()
        topic.announcement = text.strip()
        topic.attachment = attachment
        topic.vote_opens_at = now + timedelta(days=topic.announce_days)
        topic.vote_closes_at = topic.vote_opens_at + timedelta(days=topic.vote_days)
        return self._move(topic, person, grants, Act.ANNOUNCE, note=text.strip())

    def open_vote(self, topic: Topic) -> TopicEvent:
        return self._move(topic, None, (), Act.OPEN_VOTE)

    # --- step 4: deliberation ----------------------------------------------------------------

    def comment(
        self, topic: Topic, person: Person, grants: Sequence[RoleGrant], text: str
    ) -> TopicComment:
        self._authorise(topic, person, grants, Act.COMMENT)
        comment = TopicComment(
            topic_id=topic.id or 0, person_id=person.id or 0, text=text.strip(), at=self.clock.now()
        )
        self.session.add(comment)
        return comment

    def comments(self, topic: Topic) -> list[TopicComment]:
        return list(
            self.session.exec(
                select(TopicComment)
                .where(TopicComment.topic_id == topic.id)
                .order_by(col(TopicComment.id))
            ).all()
        )

    def schedule_meeting(
        self,
        topic: Topic,
        person: Person,
        grants: Sequence[RoleGrant],
        kind: str,
        starts_at: datetime,
        place: str,
    ) -> Meeting:
        if kind not in MEETING_KINDS:
            raise Refused("dl-refused-meeting-kind")
        if starts_at <= self.clock.now():
            raise Refused("dl-refused-meeting-past")
        self._authorise(topic, person, grants, Act.MEETING)
        starts_at = starts_at.astimezone(UTC)
        meeting = Meeting(topic_id=topic.id or 0, kind=kind, starts_at=starts_at, place=place)
        self.session.add(meeting)
        self._record(
            topic,
            person.id,
            Act.MEETING,
            topic.state,
            note=place,
            data={"kind": kind, "at": starts_at.isoformat()},
        )
        return meeting

    def meetings(self, topic: Topic) -> list[Meeting]:
        return list(
            self.session.exec(
                select(Meeting).where(Meeting.topic_id == topic.id).order_by(col(Meeting.starts_at))
            ).all()
        )

    def choices(self, topic: Topic) -> list[str]:
        return list(topic.options) if topic.options else list(QUESTION)

    def cast(
        self,
        topic: Topic,
        person: Person,
        choice: str,
        token: str | None = None,
    ) -> CastResult:
        """A vote from the person for every roll entry they hold; changeable until it closes.

        Secret ballot: the choice goes to running totals and to a receipt keyed by the hash of
        a fresh token handed back to the voter; to change it they present the token.
        """
        if topic.state != S.VOTING:
            raise Refused("dl-refused-vote-closed", number=topic.number)
        electors = self.electors_of(topic, person)
        if not electors:
            raise Refused("dl-refused-not-eligible", number=topic.number)
        if choice not in self.choices(topic):
            raise Refused("dl-refused-stale")
        now = self.clock.now()
        existing = {
            p.elector_id: p
            for p in self.session.exec(
                select(Participation).where(
                    Participation.topic_id == topic.id,
                    col(Participation.elector_id).in_([e.id for e in electors]),
                )
            ).all()
        }
        if any(p.offline for p in existing.values()):
            raise Refused("dl-refused-voted-offline")
        if topic.secret:
            return self._cast_secret(topic, person, electors, existing, choice, token, now)
        previous = {p.choice for p in existing.values()}
        if len(existing) == len(electors) and previous == {choice}:
            return CastResult("same", choice, electors=len(electors))
        for elector in electors:
            row = existing.get(elector.id or 0)
            if row is None:
                row = Participation(
                    topic_id=topic.id or 0,
                    elector_id=elector.id or 0,
                    voter_id=person.id,
                    choice=choice,
                    at=now,
                )
            else:
                row.choice, row.changes, row.at, row.voter_id = (
                    choice,
                    row.changes + 1,
                    now,
                    person.id,
                )
            self.session.add(row)
        status = "changed" if existing else "new"
        return CastResult(status, choice, electors=len(electors))

    def _cast_secret(
        self,
        topic: Topic,
        person: Person,
        electors: list[Elector],
        existing: dict[int, Participation],
        choice: str,
        token: str | None,
        now: datetime,
    ) -> CastResult:
        heads = len(electors)
        area = sum((Decimal(e.area or 0) for e in electors), Decimal(0))
        if existing:
            if token is None:
                raise Refused("dl-refused-voted-secret", number=topic.number)
            receipt = self.session.get(SecretReceipt, receipt_of(token))
            if receipt is None or receipt.topic_id != topic.id:
                raise Refused("dl-refused-stale")
            if receipt.choice == choice:
                return CastResult("same", choice, token=token, electors=len(electors))
            self._add_total(topic, receipt.choice, -heads, -area)
            self._add_total(topic, choice, heads, area)
            self.session.delete(receipt)
            for row in existing.values():
                row.changes += 1
                self.session.add(row)
            status = "changed"
        else:
            for elector in electors:
                self.session.add(
                    Participation(
                        topic_id=topic.id or 0,
                        elector_id=elector.id or 0,
                        voter_id=person.id,
                        at=now,
                    )
                )
            self._add_total(topic, choice, heads, area)
            status = "new"
        fresh = secrets.token_urlsafe(12)
        self.session.add(
            SecretReceipt(receipt=receipt_of(fresh), topic_id=topic.id or 0, choice=choice)
        )
        return CastResult(status, choice, token=fresh, electors=len(electors))

    def _add_total(self, topic: Topic, choice: str, heads: int, area: Decimal) -> None:
        row = self.session.get(SecretTotal, (topic.id, choice)) or SecretTotal(
            topic_id=topic.id or 0, choice=choice
        )
        row.heads += heads
        row.area = Decimal(row.area) + area
        self.session.add(row)
        self.session.flush()

    def cast_offline(
        self,
        topic: Topic,
        person: Person,
        grants: Sequence[RoleGrant],
        elector: Elector,
        choice: str,
        evidence: str,
    ) -> Participation:
        """A paper or door-to-door vote entered by staff, with what proves it."""
        self._authorise(topic, person, grants, Act.OFFLINE_VOTE)
        if not evidence.strip():
            raise Refused("dl-refused-evidence")
        if choice not in self.choices(topic):
            raise Refused("dl-refused-choice")
        if elector.topic_id != topic.id or elector.removed_at is not None:
            raise Refused("dl-refused-not-on-roll")
        row = self.session.exec(
            select(Participation).where(
                Participation.topic_id == topic.id, Participation.elector_id == elector.id
            )
        ).first()
        if row is not None:
            raise Refused("dl-refused-already-voted", who=self.label_of(elector))
        row = Participation(
            topic_id=topic.id or 0,
            elector_id=elector.id or 0,
            choice=None if topic.secret else choice,
            offline=True,
            evidence=evidence.strip(),
            entered_by_id=person.id,
            at=self.clock.now(),
        )
        self.session.add(row)
        if topic.secret:
            self._add_total(topic, choice, 1, Decimal(elector.area or 0))
        self._record(
            topic,
            person.id,
            Act.OFFLINE_VOTE,
            topic.state,
            note=evidence.strip(),
            data={"elector": self.label_of(elector)},
        )
        return row

    def remove_elector(
        self,
        topic: Topic,
        person: Person,
        grants: Sequence[RoleGrant],
        elector: Elector,
        note: str,
    ) -> TopicEvent:
        """Take an entry off the roll (sold the home, moved out); an open vote it cast stops
        counting. A secret vote cannot be found, so a voter who cast one stays."""
        self._authorise(topic, person, grants, Act.REMOVE_ELECTOR)
        voted = elector.id in self._voted_electors(topic)
        if topic.secret and voted:
            raise Refused("dl-refused-secret-roll")
        elector.removed_at = self.clock.now()
        elector.removed_note = note
        self.session.add(elector)
        return self._move(
            topic,
            person,
            grants,
            Act.REMOVE_ELECTOR,
            note=note,
            data={"elector": self.label_of(elector), "had_voted": voted},
        )

    def _voted_electors(self, topic: Topic) -> set[int]:
        return {
            p.elector_id
            for p in self.session.exec(
                select(Participation).where(Participation.topic_id == topic.id)
            ).all()
        }

    def count(self, topic: Topic) -> tally.Count:
        """The topic's count as domain.tally sees it."""
        roll = self.roll(topic)
        electors = [tally.Elector(str(e.id), fraction_of(e.area)) for e in roll]
        rows = list(
            self.session.exec(
                select(Participation)
                .where(Participation.topic_id == topic.id)
                .order_by(col(Participation.at), col(Participation.id))
            ).all()
        )
        if not topic.secret:
            casts = [tally.Cast(str(p.elector_id), p.choice or "", p.offline) for p in rows]
            return tally.count(electors, casts)
        on_roll = {e.id: e for e in roll}
        counted = [p for p in rows if p.elector_id in on_roll]
        totals = self.session.exec(
            select(SecretTotal).where(SecretTotal.topic_id == topic.id)
        ).all()
        return tally.Count(
            roll=tally.Share(
                len(roll), sum((e.area or Fraction(0) for e in electors), Fraction(0))
            ),
            voted=tally.Share(
                len(counted),
                sum(
                    (fraction_of(on_roll[p.elector_id].area) or Fraction(0) for p in counted),
                    Fraction(0),
                ),
            ),
            choices={
                row.choice: tally.Share(row.heads, Fraction(row.area))
                for row in totals
                if row.heads > 0
            },
            offline=sum(1 for p in counted if p.offline),
            missing_area=sum(1 for e in electors if e.area is None),
            not_counted=len(rows) - len(counted),
        )

    def verdict(self, topic: Topic) -> tuple[tally.Count, tally.Verdict]:
        counted = self.count(topic)
        verdict = tally.decide(
            tally.Rule(topic.rule),
            counted,
            quorum=parse_share(topic.quorum),
            share=parse_share(topic.share),
            question=not topic.options,
        )
        return counted, verdict

    def remind_close(self, topic: Topic) -> list[Person]:
        """Once, before the vote closes: the eligible who have not voted, and only them."""
        topic.close_reminded = True
        self.session.add(topic)
        people = self.eligible_people(topic, not_voted=True)
        self._record(topic, None, Act.REMIND, topic.state, data={"reminded": len(people)})
        return people

    def close_vote(
        self,
        topic: Topic,
        person: Person | None,
        grants: Sequence[RoleGrant],
        reason: str = "",
    ) -> tally.Verdict:
        """Count and record the result; a passed topic goes on to be carried out."""
        self._authorise(topic, person, grants, Act.CLOSE_VOTE)
        if person is not None and not reason.strip():
            raise Refused("dl-refused-close-reason")
        counted, verdict = self.verdict(topic)
        topic.result = result_record(counted, verdict)
        before = topic.state
        topic.state = S.CARRYING_OUT if verdict.passed else S.CLOSED
        if topic.state == S.CLOSED:
            topic.closed_at = self.clock.now()
        topic.version += 1
        self.session.add(topic)
        self._record(
            topic,
            person.id if person else None,
            Act.CLOSE_VOTE,
            before,
            note=reason,
            data=topic.result,
        )
        return verdict

    # --- step 5: carrying out ----------------------------------------------------------------

    def add_task(
        self,
        topic: Topic,
        person: Person,
        grants: Sequence[RoleGrant],
        title: str,
        party: str,
        due: datetime,
    ) -> TopicTask:
        self._authorise(topic, person, grants, Act.TASK)
        task = TopicTask(topic_id=topic.id or 0, title=title, party=party, due=due.astimezone(UTC))
        self.session.add(task)
        self.session.flush()
        self._record(topic, person.id, Act.TASK, topic.state, note=title, data={"party": party})
        return task

    def progress(
        self,
        topic: Topic,
        person: Person,
        grants: Sequence[RoleGrant],
        task: TopicTask,
        percent: int,
        note: str,
    ) -> TopicTask:
        self._authorise(topic, person, grants, Act.PROGRESS)
        if not 0 <= percent <= 100:
            raise Refused("dl-refused-percent")
        task.progress, task.note = percent, note.strip()
        self.session.add(task)
        self._record(
            topic,
            person.id,
            Act.PROGRESS,
            topic.state,
            note=note.strip(),
            data={"task": task.title, "progress": percent},
        )
        return task

    def tasks(self, topic: Topic) -> list[TopicTask]:
        return list(
            self.session.exec(
                select(TopicTask).where(TopicTask.topic_id == topic.id).order_by(col(TopicTask.id))
            ).all()
        )

    # --- step 6: report back and evaluation --------------------------------------------------

    def report_back(
        self, topic: Topic, person: Person, grants: Sequence[RoleGrant], outcome: str
    ) -> TopicEvent:
        topic.outcome = outcome.strip()
        return self._move(topic, person, grants, Act.REPORT_BACK, note=outcome.strip())

    def evaluate(
        self, topic: Topic, person: Person, rating: str, comment: str | None = None
    ) -> Evaluation:
        """A participant rates how the outcome was carried out (again: the rating changes)."""
        if rating not in RATINGS:
            raise Refused("dl-refused-stale")
        roles = self.roles(topic, person, ())
        if not roles & {Role.ELECTOR, Role.PROPOSER}:
            raise Refused("dl-refused-not-participant")
        check(Act.EVALUATE, topic.state, roles)
        row = self.session.get(Evaluation, (topic.id, person.id)) or Evaluation(
            topic_id=topic.id or 0, person_id=person.id or 0, rating=rating, at=self.clock.now()
        )
        row.rating, row.at = rating, self.clock.now()
        if comment is not None:
            row.comment = comment.strip()
        self.session.add(row)
        return row

    def evaluations(self, topic: Topic) -> list[Evaluation]:
        return list(
            self.session.exec(
                select(Evaluation)
                .where(Evaluation.topic_id == topic.id)
                .order_by(col(Evaluation.at))
            ).all()
        )

    def close(self, topic: Topic, person: Person | None, grants: Sequence[RoleGrant]) -> TopicEvent:
        ratings = {r: 0 for r in RATINGS}
        for row in self.evaluations(topic):
            ratings[row.rating] += 1
        topic.closed_at = self.clock.now()
        return self._move(topic, person, grants, Act.CLOSE, data={"ratings": ratings})

    # --- the clock ---------------------------------------------------------------------------

    def due(self) -> dict[str, list[Topic]]:
        """Topics whose time has come: to open, to remind, to close the vote, to close."""
        now = self.clock.now()
        found: dict[str, list[Topic]] = {"open": [], "remind": [], "close_vote": [], "close": []}
        for topic in self.session.exec(
            select(Topic)
            .where(col(Topic.state).in_([S.ANNOUNCED, S.VOTING, S.REPORTED]))
            .order_by(col(Topic.id))
        ):
            if (
                topic.state == S.ANNOUNCED
                and topic.vote_opens_at
                and aware(topic.vote_opens_at) <= now
            ):
                found["open"].append(topic)
            elif topic.state == S.VOTING and topic.vote_closes_at:
                closes = aware(topic.vote_closes_at)
                if closes <= now:
                    found["close_vote"].append(topic)
                elif not topic.close_reminded and closes - CLOSE_REMINDER <= now:
                    found["remind"].append(topic)
            elif topic.state == S.REPORTED:
                reported = self.session.exec(
                    select(TopicEvent)
                    .where(TopicEvent.topic_id == topic.id, TopicEvent.action == Act.REPORT_BACK)
                    .order_by(col(TopicEvent.id).desc())
                ).first()
                if reported and aware(reported.at) + EVALUATION_PERIOD <= now:
                    found["close"].append(topic)
        return found

    def meetings_to_remind(self) -> list[Meeting]:
        now = self.clock.now()
        rows = self.session.exec(
            select(Meeting).where(col(Meeting.reminded).is_(False)).order_by(col(Meeting.id))
        ).all()
        return [m for m in rows if now < aware(m.starts_at) <= now + MEETING_REMINDER]

    # --- reading -----------------------------------------------------------------------------

    def by_number(self, number: str) -> Topic | None:
        return self.session.exec(
            select(Topic).where(Topic.number == number.strip().upper())
        ).first()

    def history(self, topic: Topic) -> list[TopicEvent]:
        return list(
            self.session.exec(
                select(TopicEvent)
                .where(TopicEvent.topic_id == topic.id)
                .order_by(col(TopicEvent.id))
            ).all()
        )

    def open_topics(self, person: Person, grants: Sequence[RoleGrant]) -> list[Topic]:
        """Topics someone can act on or take part in, newest first."""
        rows = self.session.exec(
            select(Topic)
            .where(col(Topic.state).notin_([S.DECLINED, S.MERGED, S.CLOSED]))
            .order_by(col(Topic.id).desc())
        ).all()
        return [
            tp
            for tp in rows
            if self.is_steward(tp, grants)
            or tp.proposer_id == person.id
            or self.electors_of(tp, person)
        ]

    # --- recording ---------------------------------------------------------------------------

    def _move(
        self,
        topic: Topic,
        person: Person | None,
        grants: Sequence[RoleGrant],
        act: Act,
        *,
        note: str = "",
        data: dict[str, Any] | None = None,
    ) -> TopicEvent:
        target = self._authorise(topic, person, grants, act)
        before = topic.state
        topic.state = target
        topic.version += 1
        self.session.add(topic)
        return self._record(topic, person.id if person else None, act, before, note=note, data=data)

    def _record(
        self,
        topic: Topic,
        actor_id: int | None,
        act: Act,
        before: str | None,
        *,
        note: str = "",
        data: dict[str, Any] | None = None,
    ) -> TopicEvent:
        event = TopicEvent(
            topic_id=topic.id or 0,
            at=self.clock.now(),
            actor_id=actor_id,
            action=act,
            from_state=before,
            to_state=topic.state,
            note=note,
            data=dict(data or {}),
        )
        self.session.add(event)
        return event


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return str(value)


def result_record(counted: tally.Count, verdict: tally.Verdict) -> dict[str, Any]:
    """A verdict as JSON for the topic's record (fractions as exact strings)."""
    return {
        "rule": verdict.rule.value,
        "passed": verdict.passed,
        "choice": verdict.choice,
        "reason": verdict.reason,
        "checks": [
            {
                "name": c.name,
                "value": str(c.value),
                "base": str(c.base),
                "threshold": str(c.threshold),
                "strict": c.strict,
                "met": c.met,
            }
            for c in verdict.checks
        ],
        "roll": [counted.roll.heads, str(counted.roll.area)],
        "voted": [counted.voted.heads, str(counted.voted.area)],
        "choices": {k: [v.heads, str(v.area)] for k, v in sorted(counted.choices.items())},
        "offline": counted.offline,
        "missing_area": counted.missing_area,
        "not_counted": counted.not_counted,
    }
