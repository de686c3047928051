"""The word bank for the sentence grammar: written for this project (no third-party prose).

Words were picked for the world of picture books (animals, home, weather, play) and to cover
every English phoneme often, including the rare ones (/ʒ/ in treasure, /ɔɪ/ in toy, /θ/ in
thunder, /ʊ/ in wood).
"""

NAMES = (
    "Mia Leo Nora Sam Ruby Theo Ava Max Zoe Finn Luna Jack Ivy Omar Priya Kai Rosa Ben Lily "
    "Hugo June Otto Tess Jasper Maya Noah Elsa Ravi Olive Felix Hazel Arlo Iris Milo Stella "
    "George Joy Vivian Zachary Beth Thea Joshua Charlotte Roy Judy"
).split()

# (singular, plural)
ANIMALS = (
    ("fox", "foxes"), ("owl", "owls"), ("bear", "bears"), ("rabbit", "rabbits"),
    ("duck", "ducks"), ("frog", "frogs"), ("mouse", "mice"), ("hedgehog", "hedgehogs"),
    ("turtle", "turtles"), ("goat", "goats"), ("whale", "whales"), ("penguin", "penguins"),
    ("squirrel", "squirrels"), ("puppy", "puppies"), ("kitten", "kittens"), ("pony", "ponies"),
    ("badger", "badgers"), ("beaver", "beavers"), ("dragon", "dragons"), ("robot", "robots"),
    ("giraffe", "giraffes"), ("zebra", "zebras"), ("moose", "moose"), ("crab", "crabs"),
    ("seal", "seals"), ("goose", "geese"), ("sheep", "sheep"), ("lion", "lions"),
    ("tiger", "tigers"), ("monkey", "monkeys"), ("hippo", "hippos"), ("koala", "koalas"),
    ("dinosaur", "dinosaurs"), ("bumblebee", "bumblebees"), ("ladybug", "ladybugs"),
    ("caterpillar", "caterpillars"), ("snail", "snails"), ("chicken", "chickens"),
    ("donkey", "donkeys"), ("otter", "otters"), ("raccoon", "raccoons"), ("walrus", "walruses"),
)  # fmt: skip

ADJECTIVES = (
    "little big sleepy brave tiny fuzzy shiny grumpy happy curious quiet noisy silly clever "
    "gentle wobbly muddy golden purple orange soft enormous cozy chilly thirsty hungry bouncy "
    "sparkly smooth rough speedy careful cheerful friendly shy proud young old spotty stripy "
    "fluffy squeaky giant smiling gloomy dizzy lucky lonely jolly"
).split()

COLORS = "red blue green yellow purple orange pink brown silver golden white black".split()

# (singular with article, plural)
THINGS = (
    ("a ball", "balls"), ("a kite", "kites"), ("a boat", "boats"), ("a hat", "hats"),
    ("a basket", "baskets"), ("a drum", "drums"), ("a lantern", "lanterns"), ("a map", "maps"),
    ("a key", "keys"), ("a shell", "shells"), ("a cookie", "cookies"),
    ("a sandwich", "sandwiches"), ("a scarf", "scarves"), ("a book", "books"),
    ("a pebble", "pebbles"), ("a feather", "feathers"), ("a treasure chest", "treasure chests"),
    ("a bicycle", "bicycles"), ("a balloon", "balloons"), ("a blanket", "blankets"),
    ("a spoon", "spoons"), ("a toy train", "toy trains"), ("a pumpkin", "pumpkins"),
    ("a jar of honey", "jars of honey"), ("a bucket", "buckets"), ("a coin", "coins"),
    ("a button", "buttons"), ("an umbrella", "umbrellas"), ("an apple", "apples"),
    ("an envelope", "envelopes"), ("a pillow", "pillows"), ("a wagon", "wagons"),
    ("a whistle", "whistles"), ("a puzzle", "puzzles"), ("a crayon", "crayons"),
    ("a sock", "socks"), ("a teapot", "teapots"), ("a garden hose", "garden hoses"),
    ("a paper crown", "paper crowns"), ("a television", "televisions"),
    ("a measuring cup", "measuring cups"), ("a rainbow scarf", "rainbow scarves"),
    ("a wooden toy", "wooden toys"), ("a noisy trumpet", "noisy trumpets"),
    ("a thimble", "thimbles"), ("a jigsaw", "jigsaws"), ("a juicy pear", "juicy pears"),
    ("a cushion", "cushions"), ("a sugar cube", "sugar cubes"),
    ("a birthday cake", "birthday cakes"),
)  # fmt: skip

PLACES = (
    "the garden", "the forest", "the pond", "the beach", "the kitchen", "the library",
    "the hill", "the barn", "the meadow", "the river", "the market", "the cave",
    "the playground", "the attic", "the garage", "the treehouse", "the village", "the castle",
    "the island", "the bakery", "the school", "the zoo", "the mountain", "the harbor",
    "the museum", "the bathtub", "the orchard", "the station", "the farm", "the jungle",
    "the desert", "the park",
)  # fmt: skip

HIDING_SPOTS = (
    "under the bed", "behind the door", "inside the boot", "under a leaf", "on the roof",
    "beneath the bridge", "in the laundry basket", "behind the curtain", "under the stairs",
    "in the toy box", "on top of the cupboard", "inside a hollow log", "under the big rock",
    "behind the sofa", "in the wheelbarrow", "between two pillows",
)  # fmt: skip

MOVE_VERBS = (
    "ran hopped climbed splashed tiptoed raced wandered skipped crawled danced rolled slid "
    "marched flew swam zoomed wobbled waddled galloped scurried stomped paddled jogged"
).split()

DO_VERBS = (
    "found lost carried painted dropped shared opened chased hugged built fixed hid washed "
    "counted measured polished borrowed wrapped juggled balanced caught threw"
).split()

SPEECH_VERBS = (
    "said asked shouted whispered giggled called cried sang yelled laughed sighed grumbled "
    "gasped answered mumbled squeaked roared"
).split()

FEELINGS = (
    "happy sad scared excited proud surprised worried sleepy calm cross brave shy "
    "joyful puzzled thankful amazed"
).split()

REASONS = (
    "the rain would not stop", "nobody wanted to play", "it was her birthday",
    "the moon was so bright", "his boots were full of water", "the cake was ready",
    "a new friend was coming", "the kite flew higher than the trees",
    "the thunder was very loud", "the puzzle had a missing piece", "the garage door was stuck",
    "the treasure map was torn", "they had found the way home", "the boat was leaking",
    "the soup was too hot", "she could finally whistle", "it was the usual Tuesday",
    "the television was broken", "the orchard smelled of apples",
    "the toys were all in a jumble",
)  # fmt: skip

TIMES = (
    "One morning", "That night", "After lunch", "On Sunday", "Later that day", "Long ago",
    "Just then", "At last", "Once upon a time", "In the winter", "When the sun came up",
    "Before breakfast", "After the storm", "On a windy afternoon", "Every Thursday",
    "In the middle of the night", "On the first day of spring", "Yesterday",
)  # fmt: skip

SOUNDS = (
    "whoosh splash crunch buzz bang pop zoom boom thump creak achoo hooray moo quack woof "
    "meow oink baa hiss ribbit tweet vroom squeak crash swish sizzle clang boing honk "
    "plop chomp yawn"
).split()
DOUBLE_SOUNDS = (
    "ding-dong", "tick-tock", "drip-drop", "knock knock", "choo-choo", "flip-flop",
    "zig-zag", "pitter-patter", "rat-a-tat", "toot-toot",
)  # fmt: skip

# what makes a sound -> its sound
SOUND_MAKERS = (
    ("the cow", "moo"), ("the duck", "quack"), ("the dog", "woof"), ("the cat", "meow"),
    ("the pig", "oink"), ("the sheep", "baa"), ("the snake", "hiss"), ("the frog", "ribbit"),
    ("the bird", "tweet"), ("the car", "vroom"), ("the mouse", "squeak"),
    ("the clock", "tick-tock"),
    ("the bell", "ding-dong"), ("the train", "choo-choo"), ("the rain", "pitter-patter"),
    ("the drum", "boom"), ("the door", "creak"), ("the goose", "honk"), ("the wind", "whoosh"),
)  # fmt: skip

EXCLAIMS = (
    "Look out", "Hooray", "Come back", "Wait for me", "Oh no", "Hurry up", "I did it",
    "Watch this", "Over here", "Be careful", "Good morning", "Happy birthday", "Surprise",
    "Wow", "Help", "Stop", "Yippee", "That tickles", "You found it", "Let's go",
)  # fmt: skip

STATEMENTS = (
    "I can see the sea", "my boots are too big", "this is the best day ever",
    "the moon is following us", "I think it is going to rain", "we should share the cake",
    "there is a treasure under the tree", "my tummy is rumbling", "I am not sleepy at all",
    "the river is singing a song", "everybody needs a friend", "I will try again tomorrow",
    "the stars are coming out", "that was a very strange noise", "I measured it twice",
    "this puzzle is easy", "the garage smells of paint", "we are almost there",
    "the thunder is just noise", "you are my favorite friend",
)  # fmt: skip

QUESTIONS = (
    "Where are you going", "Can I come too", "What is inside the box", "Who made this mess",
    "Why is the sky so dark", "How many stars are there", "Is it time for bed",
    "Do you want to play", "Where did the sun go", "Have you seen my hat",
    "What is that noise", "Are we there yet", "Can you keep a secret", "Who is at the door",
    "How does a boat float", "Will you help me", "Which way is home", "Is that a dragon",
)  # fmt: skip

SIMILES = (
    "a cloud", "a drum", "a feather", "a rocket", "a snowflake", "a marshmallow",
    "a thunderstorm", "a tiny bell", "the sun", "a bowl of jelly", "an old shoe",
    "a treasure", "a whisper", "a jumping bean",
)  # fmt: skip

NUMBERS = "two three four five six seven eight nine ten eleven twelve".split()

WEATHER = (
    "The wind blew through the trees", "The rain tapped on the window",
    "Snow covered the whole village", "The sun was warm on the grass",
    "Fog rolled over the harbor", "Thunder rumbled over the hills",
    "The leaves were red and gold", "A rainbow stretched across the sky",
)  # fmt: skip

FOODS = (
    "soup", "pancakes", "strawberries", "cheese", "noodles", "porridge", "carrots",
    "toast with jam", "cherries", "yogurt", "popcorn", "oranges", "peas", "juice",
)  # fmt: skip
