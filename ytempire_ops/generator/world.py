"""The synthetic platform: users, channels and videos, each with its whole lifecycle.

Everything here is a function of (seed, scale, history start) only, never of the window being
generated: a video's publish time, its views curve and its cost line items are the same whether the
data is generated up to T or up to T + N minutes. The "state at an instant" helpers turn lifecycles
into the rows that had been written by that instant.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from . import rand
from .clock import DAY, HOUR, MINUTE, NEVER, SECOND, from_us

# Streams: one per kind of entity, so adding draws to one never shifts another.
S_USERS, S_USER_ID, S_CHANNELS, S_CHANNEL_ID, S_DAY_COUNT, S_VIDEOS = 1, 2, 3, 4, 5, 6
S_YOUTUBE_ID, S_TEXT, S_JOB_ID = 7, 8, 9

USERS_PER_SCALE = 50
CHANNELS_PER_SCALE = 250
VIDEOS_PER_DAY_PER_SCALE = 300
MAX_CHANNELS_PER_USER = 5

TIERS = ("starter", "growth", "pro", "enterprise")
NICHES = ("tech", "education", "entertainment", "lifestyle", "gaming", "other")
MONETIZATION = ("monetized", "pending", "not_eligible", "demonetized")
CHANNEL_STATUS = ("active", "paused", "suspended", "archived")
CONTENT_TYPES = ("shorts", "standard", "long_form")
CATEGORIES = ("educational", "entertainment", "news", "other")
METHODS = ("ai_generated", "hybrid", "manual")
# Category mix per niche (rows follow NICHES, columns CATEGORIES).
CATEGORY_P = np.array(
    [
        [0.55, 0.20, 0.20, 0.05],
        [0.85, 0.05, 0.05, 0.05],
        [0.05, 0.80, 0.10, 0.05],
        [0.30, 0.50, 0.05, 0.15],
        [0.10, 0.85, 0.02, 0.03],
        [0.20, 0.30, 0.25, 0.25],
    ]
)
# Ad RPM range in USD per niche (the platform's documents quote $1-$8).
RPM_RANGE = np.array([[4.5, 8.0], [3.0, 6.0], [1.5, 3.5], [2.5, 5.5], [1.0, 3.0], [1.0, 4.0]])
SUB_NICHES = {
    "tech": ("ai_tools", "gadgets", "programming", "cybersecurity"),
    "education": ("history", "science", "languages", "math"),
    "entertainment": ("movie_recaps", "celebrity_news", "comedy", "true_crime"),
    "lifestyle": ("fitness", "cooking", "travel", "personal_finance"),
    "gaming": ("minecraft", "fps", "retro", "mobile_games"),
    "other": ("motivation", "asmr", "news_digest", "pets"),
}
NAME_WORDS = {
    "tech": (
        ("Byte", "Circuit", "Quantum", "Pixel", "Neural", "Silicon", "Cyber", "Binary"),
        ("Lab", "Insider", "Daily", "Explained", "Hub", "Weekly", "Minute", "Review"),
    ),
    "education": (
        ("Curious", "Bright", "Mindful", "Clever", "Deep", "Simple", "Brainy", "Open"),
        ("Academy", "Lessons", "Notes", "Class", "Facts", "Explainer", "School", "Minds"),
    ),
    "entertainment": (
        ("Epic", "Wild", "Crazy", "Golden", "Midnight", "Viral", "Legendary", "Cosmic"),
        ("Recaps", "Stories", "Moments", "Countdown", "Vault", "Reels", "Show", "Files"),
    ),
    "lifestyle": (
        ("Cozy", "Urban", "Fresh", "Simple", "Happy", "Green", "Slow", "Sunny"),
        ("Living", "Kitchen", "Habits", "Journal", "Corner", "Life", "Routine", "Home"),
    ),
    "gaming": (
        ("Pro", "Pixel", "Retro", "Epic", "Turbo", "Noob", "Boss", "Loot"),
        ("Gamer", "Plays", "Arena", "Guides", "Quest", "Respawn", "Speedruns", "Clips"),
    ),
    "other": (
        ("Daily", "Calm", "True", "Little", "Big", "Quiet", "Lucky", "Odd"),
        ("Digest", "Vibes", "Corner", "Channel", "Picks", "World", "Zone", "Spot"),
    ),
}
TOPICS = {
    "tech": (
        "AI Tools",
        "Budget Laptops",
        "Python Tricks",
        "Smartphones",
        "ChatGPT Prompts",
        "Home Servers",
        "Mechanical Keyboards",
        "Linux Tips",
    ),
    "education": (
        "Ancient Rome",
        "Black Holes",
        "Spanish Verbs",
        "Calculus",
        "The Human Brain",
        "World War I",
        "Photosynthesis",
        "Probability",
    ),
    "entertainment": (
        "Movie Plot Twists",
        "Celebrity Feuds",
        "Sitcom Secrets",
        "Unsolved Mysteries",
        "Reality TV",
        "Anime Endings",
        "Award Show Moments",
        "Movie Villains",
    ),
    "lifestyle": (
        "Meal Prep",
        "Morning Routines",
        "Minimalism",
        "Budget Travel",
        "Home Workouts",
        "Saving Money",
        "Houseplants",
        "Sleep Hacks",
    ),
    "gaming": (
        "Minecraft Builds",
        "Speedrun Tricks",
        "Retro Consoles",
        "Open World Games",
        "Boss Fights",
        "Mobile Games",
        "Hidden Easter Eggs",
        "Gaming Setups",
    ),
    "other": (
        "Motivation",
        "Rainy Day Sounds",
        "Weird News",
        "Dog Training",
        "Life Lessons",
        "Daily Facts",
        "Stoic Quotes",
        "Cat Behaviour",
    ),
}
TITLE_PATTERNS = (
    "10 {topic} You Need in {year}",
    "The Truth About {topic}",
    "{topic} Explained in {minutes} Minutes",
    "Why Everyone Is Talking About {topic}",
    "I Tried {topic} for 30 Days",
    "{topic}: Beginner to Pro",
    "Top 5 {topic} Nobody Talks About",
    "{topic} Tier List ({year})",
)
JOB_ERRORS = (
    "ElevenLabs TTS request timed out after 3 attempts",
    "OpenAI API rate limit exceeded (HTTP 429)",
    "Render failed: ffmpeg exited with status 1",
    "Script rejected by content policy check",
    "Stability AI image generation returned no images",
    "Worker lost: GPU node preempted",
)

# Video lifecycle outcomes.
OK, FAILED, CANCELLED = 0, 1, 2


@dataclass(frozen=True)
class Params:
    """What the whole synthetic history depends on."""

    seed: int
    scale: float
    start: int  # first instant of the history, microseconds since 2000-01-01 UTC


@dataclass(frozen=True)
class Users:
    ids: NDArray[np.void]
    tier0: NDArray[np.int64]
    tier1: NDArray[np.int64]
    target0: NDArray[np.int64]  # cents
    target1: NDArray[np.int64]
    active0: NDArray[np.bool_]
    active1: NDArray[np.bool_]
    created: NDArray[np.int64]
    changed: NDArray[np.int64]  # the one change inside the history, or NEVER


@dataclass(frozen=True)
class Channels:
    ids: NDArray[np.bytes_]  # 24 bytes, 'UC' + 22
    owner: NDArray[np.int64]
    niche: NDArray[np.int64]
    name0: list[str]
    name1: list[str]
    handle: list[str | None]
    sub0: list[str | None]
    sub1: list[str | None]
    monet0: NDArray[np.int64]
    monet1: NDArray[np.int64]
    status0: NDArray[np.int64]
    status1: NDArray[np.int64]
    created: NDArray[np.int64]
    changed: NDArray[np.int64]
    quality: NDArray[np.float64]
    activity: NDArray[np.float64]
    rpm: NDArray[np.float64]

    def status_at(self, t: int) -> NDArray[np.int64]:
        return np.where(self.changed <= t, self.status1, self.status0)


@dataclass(frozen=True)
class Videos:
    """Every video created in the history so far, with its lifecycle (struct of arrays, index = k order)."""

    k: NDArray[np.int64]
    channel: NDArray[np.int64]
    created: NDArray[np.int64]
    queued: NDArray[np.int64]
    started: NDArray[np.int64]
    end: NDArray[np.int64]  # the job's completion or failure
    cancelled: NDArray[np.int64]  # NEVER unless cancelled while queued
    processed: NDArray[np.int64]  # upload processed, video scheduled
    published: NDArray[np.int64]  # NEVER unless the job succeeded
    deleted: NDArray[np.int64]
    outcome: NDArray[np.int64]
    retries: NDArray[np.int64]
    error: NDArray[np.int64]
    duration: NDArray[np.int64]
    ctype: NDArray[np.int64]
    category: NDArray[np.int64]
    method: NDArray[np.int64]
    # The cumulative curves: views(t) = V * (1 - exp(-(t / tau) ** beta)), t in hours since publishing.
    views_total: NDArray[np.float64]
    tau_h: NDArray[np.float64]
    beta: NDArray[np.float64]
    like_rate: NDArray[np.float64]
    dislike_rate: NDArray[np.float64]
    comment_rate: NDArray[np.float64]
    share_rate: NDArray[np.float64]
    ctr: NDArray[np.float64]
    retention: NDArray[np.float64]
    sub_rate: NDArray[np.float64]
    unsub_frac: NDArray[np.float64]
    cents_per_view: NDArray[np.float64]  # 0 unless the channel was monetized when the video went live
    spam_poll: NDArray[np.int64]  # poll index of a YouTube spam-view correction, -1 for none
    spam_frac: NDArray[np.float64]
    # Costs: the line items split cost_total (cents) by cost_shares.
    cost_total: NDArray[np.float64]
    cost_shares: NDArray[np.float64]
    hosting_kind: NDArray[np.int64]  # -1 none, else a channel-level hosting cost near the video's creation
    hosting_cents: NDArray[np.float64]
    hosting_offset: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.k.shape[0])

    def take(self, index: NDArray[np.int64]) -> Videos:
        return Videos(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Videos]) -> Videos:
        return Videos(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Videos)})


def entity_counts(scale: float) -> tuple[int, int]:
    """(users, channels) at a scale: at least one each, every user 1..5 channels."""
    users = max(1, round(USERS_PER_SCALE * scale))
    channels = min(max(round(CHANNELS_PER_SCALE * scale), users), MAX_CHANNELS_PER_USER * users)
    return users, channels


def video_ids(k: NDArray[np.int64]) -> NDArray[np.bytes_]:
    """'vid_' + the 1-based number zero-padded to 8 digits (12 bytes)."""
    if k.size == 0:
        return np.empty(0, dtype="S12")
    return np.char.add(b"vid_", np.char.zfill((k + 1).astype("S8"), 8))


def _seconds(us: NDArray[np.float64]) -> NDArray[np.int64]:
    """Float microseconds to int64, rounded to whole milliseconds (instants read like real ones)."""
    return (np.rint(us / 1000.0) * 1000).astype(np.int64)


class World:
    """Users and channels (built at once) and videos (built day by day, on demand, cached)."""

    def __init__(self, params: Params) -> None:
        self.params = params
        self.n_users, self.n_channels = entity_counts(params.scale)
        self.users = self._make_users()
        self.channels = self._make_channels()
        self._day_counts: list[int] = []
        self._days: list[Videos] = []

    # ------------------------------------------------------------------ users and channels
    def _make_users(self) -> Users:
        p, n = self.params, self.n_users
        rng = rand.generator(p.seed, S_USERS)
        created = p.start - _seconds(rng.uniform(60, 720, n) * DAY)
        tier0 = rng.choice(4, n, p=[0.35, 0.35, 0.2, 0.1])
        other_targets = rng.choice([500_000, 1_500_000, 2_500_000, 5_000_000], n)
        target0 = np.where(rng.random(n) < 0.85, 1_000_000, other_targets)
        active0 = rng.random(n) < 0.96
        change_at = p.start + HOUR + _seconds(rng.exponential(25.0, n) * DAY)
        has_change = rng.random(n) < 0.2
        kind = rng.random(n)
        new_targets = rng.choice([500_000, 1_000_000, 2_000_000, 3_000_000], n)
        tier1 = np.where(kind < 0.5, np.minimum(tier0 + 1, 3), tier0)
        target1 = np.where((kind >= 0.5) & (kind < 0.8), new_targets, target0)
        active1 = np.where(kind >= 0.8, ~active0, active0)
        differs = (tier1 != tier0) | (target1 != target0) | (active1 != active0)
        keep = has_change & differs
        return Users(
            ids=rand.uuids(rand.stream_key(p.seed, S_USER_ID), np.arange(n)),
            tier0=tier0,
            tier1=np.where(keep, tier1, tier0),
            target0=target0,
            target1=np.where(keep, target1, target0),
            active0=active0,
            active1=np.where(keep, active1, active0),
            created=created,
            changed=np.where(keep, change_at, NEVER),
        )

    def _make_channels(self) -> Channels:
        p, n, n_users = self.params, self.n_channels, self.n_users
        rng = rand.generator(p.seed, S_CHANNELS)
        counts = np.ones(n_users, dtype=np.int64)
        extra = n - n_users
        if extra:
            slots = rng.choice(n_users * (MAX_CHANNELS_PER_USER - 1), extra, replace=False)
            counts += np.bincount(slots // (MAX_CHANNELS_PER_USER - 1), minlength=n_users)
        owner = np.repeat(np.arange(n_users), counts)
        niche = rng.choice(len(NICHES), n, p=[0.25, 0.2, 0.2, 0.15, 0.15, 0.05])
        first_word = rng.integers(0, 8, n)
        second_word = rng.integers(0, 8, n)
        sub_pick = rng.integers(0, 4, n)
        sub_null = rng.random(n) < 0.12
        handle_null = rng.random(n) < 0.1
        monet0 = rng.choice(4, n, p=[0.72, 0.14, 0.09, 0.05])
        status0 = rng.choice(4, n, p=[0.9, 0.06, 0.02, 0.02])
        owner_created = self.users.created[owner]
        span = (p.start - DAY) - owner_created
        created = owner_created + _seconds(rng.random(n) * span)
        quality = rng.lognormal(0.0, 0.5, n)
        activity = rng.lognormal(0.0, 0.4, n)
        rpm_u = rng.random(n)
        has_change = rng.random(n) < 0.3
        change_at = p.start + HOUR + _seconds(rng.exponential(20.0, n) * DAY)
        kind = rng.random(n)
        suffix = rng.integers(0, 4, n)
        new_sub = rng.integers(0, 4, n)

        names0: list[str] = []
        names1: list[str] = []
        handles: list[str | None] = []
        subs0: list[str | None] = []
        subs1: list[str | None] = []
        monet1 = monet0.copy()
        status1 = status0.copy()
        changed = np.full(n, NEVER, dtype=np.int64)
        for i in range(n):
            niche_name = NICHES[niche[i]]
            adjectives, nouns = NAME_WORDS[niche_name]
            name = f"{adjectives[first_word[i]]} {nouns[second_word[i]]}"
            names0.append(name)
            handles.append(None if handle_null[i] else f"@{name.lower().replace(' ', '')}{i + 1}")
            sub = None if sub_null[i] else SUB_NICHES[niche_name][sub_pick[i]]
            subs0.append(sub)
            new_name, new_sub_name = name, sub
            if has_change[i]:
                if MONETIZATION[monet0[i]] in ("pending", "not_eligible", "demonetized"):
                    monet1[i] = 0
                elif CHANNEL_STATUS[status0[i]] == "paused" or CHANNEL_STATUS[status0[i]] == "suspended":
                    status1[i] = 0
                elif CHANNEL_STATUS[status0[i]] == "active":
                    if kind[i] < 0.4:
                        status1[i] = 1
                    elif kind[i] < 0.7:
                        new_name = f"{name} {('Pro', 'HQ', 'Plus', 'TV')[suffix[i]]}"
                    else:
                        new_sub_name = SUB_NICHES[niche_name][new_sub[i]]
                differs = (
                    monet1[i] != monet0[i]
                    or status1[i] != status0[i]
                    or new_name != name
                    or new_sub_name != sub
                )
                if differs:
                    changed[i] = change_at[i]
            names1.append(new_name)
            subs1.append(new_sub_name)
        low, high = RPM_RANGE[niche, 0], RPM_RANGE[niche, 1]
        return Channels(
            ids=rand.token(rand.stream_key(p.seed, S_CHANNEL_ID), np.arange(n), 22, prefix=b"UC"),
            owner=owner,
            niche=niche,
            name0=names0,
            name1=names1,
            handle=handles,
            sub0=subs0,
            sub1=subs1,
            monet0=monet0,
            monet1=monet1,
            status0=status0,
            status1=status1,
            created=created,
            changed=changed,
            quality=quality,
            activity=activity,
            rpm=low + rpm_u * (high - low),
        )

    # ------------------------------------------------------------------ videos
    def day_count(self, d: int) -> int:
        """Videos created on history day d (the 24 h from start + d days)."""
        while len(self._day_counts) <= d:
            day = len(self._day_counts)
            weekday = (from_us(self.params.start + day * DAY)).weekday()
            lam = VIDEOS_PER_DAY_PER_SCALE * self.params.scale * (0.88 if weekday >= 5 else 1.05)
            self._day_counts.append(int(rand.generator(self.params.seed, S_DAY_COUNT, day).poisson(lam)))
        return self._day_counts[d]

    def videos_until(self, hi: int) -> Videos:
        """Every video of the history days that start at or before `hi` (some created after `hi`)."""
        last_day = max(0, (hi - self.params.start) // DAY)
        while len(self._days) <= last_day:
            self._days.append(self._make_day(len(self._days)))
        return Videos.concat(self._days[: last_day + 1])

    def _make_day(self, d: int) -> Videos:
        p = self.params
        n = self.day_count(d)
        first_k = sum(self.day_count(i) for i in range(d)) if d else 0
        day_start = p.start + d * DAY
        rng = rand.generator(p.seed, S_VIDEOS, d)
        created = day_start + np.sort(_seconds(rng.random(n) * DAY))
        active = np.flatnonzero(self.channels.status_at(day_start) == 0)
        if active.size == 0:
            active = np.arange(self.n_channels)
        weights = self.channels.activity[active]
        channel = active[rng.choice(active.size, n, p=weights / weights.sum())]
        niche = self.channels.niche[channel]

        ctype = rng.choice(3, n, p=[0.3, 0.5, 0.2])
        shorts = rng.integers(15, 60, n)
        standard = 60 + (rng.beta(2.0, 2.0, n) * 539).astype(np.int64)
        long_form = np.minimum(600 + rng.exponential(900.0, n).astype(np.int64), 5400)
        duration = np.where(ctype == 0, shorts, np.where(ctype == 1, standard, long_form))
        category_u = rng.random(n)
        category = (category_u[:, None] > np.cumsum(CATEGORY_P[niche], axis=1)).sum(axis=1)
        category = np.minimum(category, len(CATEGORIES) - 1)
        method = rng.choice(3, n, p=[0.8, 0.17, 0.03])

        # The generation job and the way to publishing.
        queued = created + _seconds(rng.uniform(1, 30, n) * SECOND)
        wait = np.clip(rng.lognormal(np.log(120.0), 1.0, n), 5, 7200) * SECOND
        started = queued + _seconds(wait)
        retries = rng.choice(4, n, p=[0.93, 0.05, 0.015, 0.005])
        run = np.clip(rng.lognormal(np.log(12.0), 0.35, n) * (1 + 0.6 * retries), 3, 120) * MINUTE
        end = started + _seconds(run)
        fail_u = rng.random(n)
        cancel_u = rng.random(n)
        cancel_frac = rng.random(n)
        outcome = np.where(fail_u < 0.025 + 0.25 * (retries == 3), FAILED, OK)
        outcome = np.where(cancel_u < 0.004, CANCELLED, outcome)
        cancelled = np.where(outcome == CANCELLED, queued + _seconds(cancel_frac * wait), NEVER)
        error = rng.integers(0, len(JOB_ERRORS), n)
        processing = np.clip(rng.lognormal(np.log(6.0), 0.5, n), 1, 60) * MINUTE
        processed = end + _seconds(processing)
        scheduled_later = rng.random(n) < 0.4
        delay = np.where(scheduled_later, rng.uniform(30, 480, n) * MINUTE, rng.uniform(0, 120, n) * SECOND)
        published = np.where(outcome == OK, processed + _seconds(delay), NEVER)
        delete_u = rng.random(n)
        deleted_after = np.maximum(rng.exponential(7.0, n) * DAY, HOUR)
        deleted = np.where((outcome == OK) & (delete_u < 0.012), published + _seconds(deleted_after), NEVER)

        # Performance curves.
        viral = rng.random(n) < 0.01
        type_factor = np.array([1.6, 1.0, 0.75])[ctype]
        views_total = rng.lognormal(np.log(4000.0), 1.1, n) * self.channels.quality[channel] * type_factor
        views_total *= np.where(viral, rng.uniform(10, 50, n), 1.0)
        tau_h = rng.lognormal(np.log(30.0), 0.5, n) * np.where(viral, rng.uniform(2, 4, n), 1.0)
        beta = np.where(viral, rng.uniform(1.0, 1.6, n), rng.uniform(0.55, 0.9, n))
        like_rate = rng.uniform(0.02, 0.06, n)
        dislike_rate = like_rate * rng.uniform(0.02, 0.08, n)
        comment_rate = rng.uniform(0.001, 0.008, n)
        share_rate = rng.uniform(0.001, 0.01, n)
        ctr = np.where(viral, rng.uniform(0.09, 0.16, n), rng.uniform(0.03, 0.11, n))
        retention = np.select(
            [ctype == 0, ctype == 1],
            [rng.uniform(0.6, 1.1, n), rng.uniform(0.3, 0.6, n)],
            rng.uniform(0.2, 0.45, n),
        )
        sub_rate = rng.uniform(0.002, 0.012, n)
        unsub_frac = rng.uniform(0.03, 0.15, n)
        rpm = np.clip(self.channels.rpm[channel] * rng.lognormal(0.0, 0.12, n), 1.0, 8.0)
        publish_clock = np.minimum(published, NEVER - 1)
        channel_changed = self.channels.changed[channel] <= publish_clock
        monet = np.where(channel_changed, self.channels.monet1[channel], self.channels.monet0[channel])
        cents_per_view = np.where((monet == 0) & (outcome == OK), rpm / 10.0, 0.0)
        spam = rng.random(n) < 0.02
        spam_poll = np.where(spam, rng.integers(2, 700, n), -1)
        spam_frac = rng.uniform(0.01, 0.05, n)

        # Costs: mostly 50-280 cents a video, about 2 % over 300.
        over = rng.random(n) < 0.02
        median = np.array([85.0, 140.0, 190.0])[ctype]
        normal_total = np.clip(rng.lognormal(np.log(median), 0.33), 45.0, 290.0)
        cost_total = np.where(over, rng.uniform(302.0, 460.0, n), normal_total)
        shares = rng.gamma(COST_SHARES * 40.0, size=(n, len(COST_SHARES)))
        shares /= shares.sum(axis=1, keepdims=True)
        hosting = rng.random(n) < 0.05
        hosting_kind = np.where(hosting, rng.integers(0, 2, n), -1)
        hosting_cents = rng.uniform(5.0, 60.0, n)
        hosting_offset = _seconds(rng.uniform(0, 30, n) * MINUTE)

        return Videos(
            k=first_k + np.arange(n, dtype=np.int64),
            channel=channel,
            created=created,
            queued=queued,
            started=started,
            end=end,
            cancelled=cancelled,
            processed=processed,
            published=published,
            deleted=deleted,
            outcome=outcome,
            retries=retries,
            error=error,
            duration=duration,
            ctype=ctype,
            category=category,
            method=method,
            views_total=views_total,
            tau_h=tau_h,
            beta=beta,
            like_rate=like_rate,
            dislike_rate=dislike_rate,
            comment_rate=comment_rate,
            share_rate=share_rate,
            ctr=ctr,
            retention=retention,
            sub_rate=sub_rate,
            unsub_frac=unsub_frac,
            cents_per_view=cents_per_view,
            spam_poll=spam_poll,
            spam_frac=spam_frac,
            cost_total=cost_total,
            cost_shares=shares,
            hosting_kind=hosting_kind,
            hosting_cents=hosting_cents,
            hosting_offset=hosting_offset,
        )

    # ------------------------------------------------------------------ text of videos
    def video_text(
        self, v: Videos, index: NDArray[np.int64]
    ) -> list[tuple[str, str | None, list[str] | None]]:
        """(title, description, tags) of the given videos: a pure function of (seed, k)."""
        key = rand.stream_key(self.params.seed, S_TEXT)
        h = rand.hash64(key, v.k[index])
        out: list[tuple[str, str | None, list[str] | None]] = []
        for row, i in enumerate(index):
            bits = int(h[row])
            niche_name = NICHES[self.channels.niche[v.channel[i]]]
            topics = TOPICS[niche_name]
            topic = topics[bits & 7]
            pattern = TITLE_PATTERNS[(bits >> 3) & 7]
            year = (from_us(int(v.created[i]))).year
            title = pattern.format(topic=topic, year=year, minutes=3 + ((bits >> 6) & 15))
            description = (
                None
                if (bits >> 10) & 15 == 0
                else f"Everything you need to know about {topic.lower()}. New videos weekly. #{niche_name}"
            )
            tags: list[str] | None = None
            if (bits >> 14) & 31 != 0:
                sub_options = SUB_NICHES[niche_name]
                tags = [niche_name, topic.lower(), sub_options[(bits >> 19) & 3]]
                tags += [topics[(bits >> (21 + 3 * j)) & 7].lower() for j in range((bits >> 40) & 3)]
                tags = list(dict.fromkeys(tags))
            out.append((title, description, tags))
        return out


# Cost line items: (category, subcategory, unit, cents per unit, whole units?, mean share, when).
# "when": 'gen' (during the generation job, at the fraction given), 'end' (billed at the job's end),
# 'upload' (between the job's end and processing), 'publish' (at publishing).
COST_ITEMS = (
    ("ai", "openai", "1k_tokens", 1.0, False, 0.22, "gen", 0.05),
    ("ai", "elevenlabs", "characters", 0.005, True, 0.25, "gen", 0.30),
    ("ai", "stability_ai", "images", 2.0, True, 0.10, "gen", 0.50),
    ("api", "pexels", "requests", 0.02, True, 0.01, "gen", 0.15),
    ("api", "youtube_api", "requests", 0.01, True, 0.005, "upload", 0.0),
    ("compute", "cpu", "cpu_seconds", 0.0014, False, 0.045, "end", 0.0),
    ("compute", "gpu", "gpu_seconds", 0.035, False, 0.30, "end", 0.0),
    ("storage", "storage", "gb", 2.3, False, 0.03, "upload", 0.0),
    ("bandwidth", "bandwidth", "gb", 8.5, False, 0.04, "publish", 0.0),
)
COST_SHARES = np.array([item[5] for item in COST_ITEMS])
HOSTING_ITEMS = (("storage", "storage", "gb", 2.3), ("bandwidth", "bandwidth", "gb", 8.5))
