"""The words the generator builds posts from: the real category catalogue, topics and moods.

A post's true topic decides its category, genre and keywords; its true mood decides the words of
its `emotions` and `psycological_view_of_video`. Each mood's first word is the mood's own name,
so a `mood=calm` query can match a generated post by that word.
"""

from __future__ import annotations

from typing import Final, NamedTuple


class CategoryInfo(NamedTuple):
    id: int
    name: str
    description: str
    image_url: str


CATEGORIES: Final[tuple[CategoryInfo, ...]] = (
    CategoryInfo(
        2,
        "Vible",
        "All the best vibes!",
        "https://assets.socialverseapp.com/vible/vible-black-logo.png",
    ),
    CategoryInfo(
        3,
        "The Igloo",
        "Cool conversations from the cold",
        "https://assets.socialverseapp.com/categories/igloo.png",
    ),
    CategoryInfo(
        4,
        "E/ACC",
        "Accelerate human abundance",
        "https://assets.socialverseapp.com/categories/7896a04f4dec9804fdd258c0576cba42",
    ),
    CategoryInfo(
        5,
        "Gratitube",
        "Grateful moments, shared",
        "https://assets.socialverseapp.com/categories/gratitube.png",
    ),
    CategoryInfo(
        6,
        "InstaRama",
        "Embrace your journey towards growth & self-discovery",
        "https://assets.socialverseapp.com/categories/7a2b19078139f940df6db4250dea01ef",
    ),
    CategoryInfo(
        8,
        "Bloom Scroll",
        "Scroll until you bloom",
        "https://assets.socialverseapp.com/bloom/BloomLogoicon.jpg",
    ),
    CategoryInfo(
        13,
        "Flic",
        "Where Creativity Meets Opportunity ",
        "https://socialverse-assets.s3.us-east-1.amazonaws.com/categories/NEW_COLOR.png",
    ),
    CategoryInfo(
        15,
        "Love",
        "Stories of love and connection",
        "https://assets.socialverseapp.com/categories/love.png",
    ),
    CategoryInfo(
        18,
        "Startup College",
        "Learn to build from people who did",
        "https://assets.socialverseapp.com/categories/startup-college.png",
    ),
    CategoryInfo(
        20,
        "OvaDrive",
        "Cars, roads and the people who drive them",
        "https://assets.socialverseapp.com/categories/ovadrive.png",
    ),
    CategoryInfo(
        21,
        "Pumptok",
        "Tokens on the move",
        "https://assets.socialverseapp.com/categories/pumptok.png",
    ),
    CategoryInfo(
        22,
        "SolTok",
        "The Solana community in motion",
        "https://assets.socialverseapp.com/categories/soltok.png",
    ),
    CategoryInfo(
        26, "Bot", "Made by machines", "https://assets.socialverseapp.com/categories/bot.png"
    ),
    CategoryInfo(
        28,
        "Mood",
        "Find the feed that fits your mood",
        "https://assets.socialverseapp.com/categories/mood.png",
    ),
)
"""The real catalogue (API.md §4.4): ids and names as seen; some descriptions are generated."""


class Topic(NamedTuple):
    name: str
    category_id: int
    genre: str
    keywords: tuple[str, ...]


TOPICS: Final[tuple[Topic, ...]] = (
    Topic(
        "mindset",
        6,
        "Motivational/Inspirational",
        ("mindset", "discipline", "habits", "focus", "growth"),
    ),
    Topic("fitness", 8, "Health/Fitness", ("workout", "strength", "cardio", "routine", "gym")),
    Topic(
        "nutrition", 8, "Health/Food", ("recipe", "protein", "meal prep", "healthy eating", "diet")
    ),
    Topic(
        "meditation",
        28,
        "Wellness/Mindfulness",
        ("breathing", "meditation", "stillness", "mindfulness", "yoga"),
    ),
    Topic(
        "startups",
        18,
        "Business/Entrepreneurship",
        ("founder", "startup", "fundraising", "product", "pitch"),
    ),
    Topic(
        "ai",
        4,
        "Technology/AI",
        ("artificial intelligence", "machine learning", "agents", "automation", "robots"),
    ),
    Topic("crypto", 22, "Finance/Crypto", ("solana", "blockchain", "wallet", "defi", "web3")),
    Topic(
        "memecoins",
        21,
        "Finance/Speculation",
        ("memecoin", "token launch", "pump", "chart", "degen"),
    ),
    Topic(
        "investing",
        18,
        "Finance/Education",
        ("stocks", "compounding", "portfolio", "index funds", "wealth"),
    ),
    Topic("cars", 20, "Automotive", ("supercar", "engine", "road trip", "drift", "detailing")),
    Topic(
        "travel", 2, "Travel/Vlog", ("travel", "city guide", "beach", "mountains", "backpacking")
    ),
    Topic("music", 2, "Music/Performance", ("song", "beat", "guitar", "live session", "lyrics")),
    Topic(
        "dance",
        2,
        "Entertainment/Dance",
        ("choreography", "dance challenge", "moves", "rhythm", "trend"),
    ),
    Topic("comedy", 13, "Comedy/Sketch", ("sketch", "prank", "punchline", "parody", "skit")),
    Topic(
        "relationships",
        15,
        "Lifestyle/Relationships",
        ("dating", "romance", "partner", "communication", "trust"),
    ),
    Topic(
        "gratitude",
        5,
        "Lifestyle/Reflection",
        ("gratitude", "journaling", "thank you", "blessings", "kindness"),
    ),
    Topic("faith", 5, "Spirituality", ("prayer", "faith", "purpose", "scripture", "hope")),
    Topic(
        "productivity",
        6,
        "Education/Productivity",
        ("time management", "notion", "deep work", "planning", "goals"),
    ),
    Topic(
        "coding",
        13,
        "Technology/Programming",
        ("python", "swift", "debugging", "open source", "app development"),
    ),
    Topic(
        "design",
        13,
        "Art/Design",
        ("illustration", "typography", "ui design", "color", "sketchbook"),
    ),
    Topic("nature", 3, "Nature/Documentary", ("wildlife", "forest", "ocean", "snow", "sunrise")),
    Topic("gaming", 3, "Gaming", ("gameplay", "speedrun", "esports", "console", "streamer")),
    Topic(
        "bots",
        26,
        "Technology/Automation",
        ("bot", "generated clip", "script", "automation", "synthetic voice"),
    ),
    Topic(
        "parenting",
        15,
        "Family/Parenting",
        ("kids", "parenting", "family time", "toddler", "bedtime"),
    ),
)
"""True topics of generated posts, each tied to one category."""


class Mood(NamedTuple):
    name: str
    words: tuple[str, ...]
    psychology: tuple[str, ...]


MOODS: Final[tuple[Mood, ...]] = (
    Mood(
        "motivational",
        ("motivational", "determination", "encouragement", "drive", "resilience"),
        ("self-efficacy", "goal pursuit"),
    ),
    Mood(
        "calm",
        ("calm", "serenity", "tranquility", "peace", "relaxation"),
        ("stress relief", "mindful presence"),
    ),
    Mood(
        "joyful",
        ("joyful", "joy", "happiness", "delight", "excitement"),
        ("positive affect", "playfulness"),
    ),
    Mood(
        "funny",
        ("funny", "amusement", "humor", "silliness", "laughter"),
        ("comic relief", "surprise"),
    ),
    Mood(
        "romantic",
        ("romantic", "love", "affection", "tenderness", "longing"),
        ("attachment", "intimacy"),
    ),
    Mood(
        "nostalgic",
        ("nostalgic", "nostalgia", "wistfulness", "memory", "sentimentality"),
        ("reminiscence", "identity"),
    ),
    Mood(
        "curious",
        ("curious", "curiosity", "wonder", "intrigue", "fascination"),
        ("novelty seeking", "learning"),
    ),
    Mood(
        "intense",
        ("intense", "adrenaline", "urgency", "tension", "thrill"),
        ("arousal", "risk taking"),
    ),
    Mood(
        "inspiring",
        ("inspiring", "inspiration", "awe", "admiration", "hope"),
        ("elevation", "aspiration"),
    ),
    Mood(
        "melancholic",
        ("melancholic", "sadness", "contemplation", "vulnerability", "reflection"),
        ("introspection", "catharsis"),
    ),
    Mood(
        "confident",
        ("confident", "confidence", "pride", "empowerment", "boldness"),
        ("self-esteem", "assertiveness"),
    ),
    Mood(
        "grateful",
        ("grateful", "gratitude", "appreciation", "warmth", "contentment"),
        ("prosocial emotion", "wellbeing"),
    ),
)
"""True moods of generated posts; the first word of each is the mood's name."""

FIRST_NAMES: Final[tuple[str, ...]] = (
    "Ava",
    "Liam",
    "Maya",
    "Noah",
    "Zara",
    "Ethan",
    "Aisha",
    "Lucas",
    "Priya",
    "Mateo",
    "Chloe",
    "Omar",
    "Sofia",
    "Kwame",
    "Yuki",
    "Diego",
    "Amara",
    "Felix",
    "Leila",
    "Ravi",
    "Nina",
    "Jonas",
)
LAST_NAMES: Final[tuple[str, ...]] = (
    "Mensah",
    "Garcia",
    "Okafor",
    "Smith",
    "Kumar",
    "Silva",
    "Tanaka",
    "Novak",
    "Haddad",
    "Moreau",
    "Kim",
    "Adeyemi",
    "Rossi",
    "Larsen",
    "Chen",
    "Diaz",
    "Patel",
    "Fischer",
    "Nguyen",
    "Costa",
)
TITLE_OPENERS: Final[tuple[str, ...]] = (
    "How I",
    "Why you should",
    "The truth about",
    "A day of",
    "Stop ignoring",
    "My favourite",
    "Three lessons on",
    "Nobody talks about",
    "Quick guide to",
    "This changed my",
)
