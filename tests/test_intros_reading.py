"""Reading what people write, in French, English or both: languages, asks and offers with
their fields, paraphrase, negation, roles, and the lexicon's tree of fields."""

from __future__ import annotations

import pytest

from meetup.services.intros.complements import strength
from meetup.services.intros.concepts import lexicon
from meetup.services.intros.reading import language, read_person


def read(looking_for: str = "", can_offer: str = "") -> set[tuple[str, str, frozenset]]:
    r = read_person(looking_for, can_offer)
    return {(i.kind, i.side, frozenset(i.fields)) for i in (*r.needs, *r.offers)}


def kinds(looking_for: str = "", can_offer: str = "") -> set[tuple[str, str]]:
    return {(k, s) for k, s, _f in read(looking_for, can_offer)}


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Je cherche un mentor pour progresser", "fr"),
        ("looking for a mentor to help me grow", "en"),
        ("levée de fonds", "fr"),
        ("a job in the data team", "en"),
        ("CTO", None),
    ],
)
def test_each_text_has_its_language(text, lang):
    assert language(text) == lang


@pytest.mark.parametrize(
    ("looking_for", "can_offer", "expected"),
    [
        ("un CDI commercial", "", {("job", "need")}),
        ("", "on recrute un account executive", {("job", "offer")}),
        ("Je cherche une alternance en marketing digital", "", {("job", "need")}),
        ("", "nous embauchons deux développeuses backend", {("job", "offer")}),
        ("a backend developer for my startup", "", {("job", "offer")}),  # someone to hire
        ("un mentor en big data", "", {("mentor", "need")}),
        ("", "j'accompagne des juniors qui démarrent en ingestion batch et streaming",
         {("mentor", "offer")}),
        ("looking for seed money for my fintech", "", {("funding", "need")}),
        ("", "I write angel cheques for early-stage payments startups", {("funding", "offer")}),
        ("", "BA, je finance l'amorçage en e-santé", {("funding", "offer")}),
        ("des business angels ou un VC pour notre pré-seed", "", {("funding", "need")}),
        ("un associé technique", "", {("cofounder", "need")}),
        ("", "Backend engineer keen to join an early team as CTO",
         {("cofounder", "offer"), ("cofounder", "need")}),  # founding is both ways
        ("", "prêt à rejoindre une jeune équipe comme CTO",
         {("cofounder", "offer"), ("cofounder", "need")}),
        ("a designer for my app", "", {("service", "need")}),
        ("quelqu'un de solide en design pour mon appli", "", {("service", "need")}),
        ("Je cherche un CTO", "Je suis commerciale", {("cofounder", "need"), ("cofounder", "offer"),
                                                      ("advice", "offer")}),
        ("un prestataire pour refaire notre site", "", {("service", "need")}),
        ("des clients pour mon agence de design", "", {("service", "offer")}),
        ("pas de CDI, plutôt des missions freelance en data", "", {("service", "offer")}),
        ("", "10 years of B2B sales", {("advice", "offer")}),
        ("getting started in product management", "", {("advice", "need")}),
        ("Je suis en recherche active d'un CDI en tant que développeuse", "", {("job", "need")}),
        ("", "Je suis business angel et je cherche des startups à financer",
         {("funding", "offer")}),
        ("", "Expert-comptable, je cherche de nouveaux clients", {("service", "offer")}),
        ("Je cherche du boulot dans la tech", "", {("job", "need")}),
        ("Looking for work in growth marketing", "", {("job", "need")}),
    ],
)  # fmt: skip
def test_asks_and_offers_are_read_from_french_and_english(looking_for, can_offer, expected):
    assert kinds(looking_for, can_offer) == expected


def test_fields_are_read_and_attach_to_their_own_ask():
    got = read("a mentor in data and a job in fintech")
    assert ("mentor", "need", frozenset({"data"})) in got
    assert ("job", "need", frozenset({"fintech"})) in got


def test_a_role_after_i_am_is_the_writers_own():
    r = read_person("a new job. I'm a data analyst", "")
    assert [(i.kind, i.fields) for i in r.needs] == [("job", ("analytics",))]
    assert "analytics" in r.own_fields


def test_a_negated_cue_is_dropped():
    assert ("job", "offer") not in kinds("", "not hiring right now, but happy to mentor")
    assert ("mentor", "offer") in kinds("", "not hiring right now, but happy to mentor")


def test_false_friends_count_only_in_their_language():
    assert ("job", "need") in kinds("un stage en data", "")
    assert not any(k == "job" for k, _s in kinds("investors for our early stage startup", ""))


def test_a_short_abbreviation_needs_its_capitals():
    """ "AI" is a field; "ai" in "j'ai" is not."""
    assert any("machine_learning" in f for _k, _s, f in read("", "des conseils en IA"))
    assert not any("machine_learning" in f for _k, _s, f in read("", "j'ai des conseils en vente"))


def test_french_meets_english_through_concepts():
    seeker = read_person("un mentor en ingénierie des données", "")
    mentor = read_person("", "I mentor junior data engineers on their pipelines")
    other = read_person("", "I mentor junior designers")
    assert strength(seeker, mentor) >= 0.9
    assert strength(seeker, other) == 0


def test_paraphrase_meets_through_broader_and_narrower_fields():
    lex = lexicon()
    assert lex.fields["streaming"].ancestors == ("data_engineering", "data")
    seeker = read_person("un mentor en big data", "")
    mentor = read_person(
        "", "j'accompagne des juniors qui démarrent en ingestion batch et streaming"
    )
    assert 0.6 <= strength(seeker, mentor) < 1
    angel = read_person("", "I write angel cheques for early-stage payments startups")
    assert strength(read_person("looking for seed money for my fintech", ""), angel) >= 0.8


def test_asking_the_same_thing_is_no_complement():
    a = read_person("un mentor en data", "")
    b = read_person("a mentor in data", "")
    assert strength(a, b) == strength(b, a) == 0


def test_tags_count_and_unticked_readings_go():
    r = read_person("a mentor in data", "", looking_tags=("hiring",))
    assert {(i.kind, i.side) for i in (*r.needs, *r.offers)} == {
        ("mentor", "need"),
        ("job", "offer"),
    }
    r = read_person("a mentor in data", "", declined=("looking_for_mentor",))
    assert not r.needs
    assert read_person("a mentor in data").tags == (("looking_for_mentor",), ())


def test_the_lexicon_is_a_tree_with_names_in_both_languages():
    lex = lexicon()
    assert lex.version >= 1
    for key, f in lex.fields.items():
        assert f.names["en"] and f.names["fr"], key
        assert key not in f.ancestors
        assert f.facet in ("skill", "sector")


@pytest.mark.parametrize(
    ("looking_for", "can_offer", "expected"),
    [
        # Words that share a stem with a cue are not that cue.
        ("", "Open to mentoring junior PMs", {("mentor", "offer")}),  # not "opening"
        ("Looking for a back-end developer", "", {("job", "offer")}),  # not "backing"
        ("Looking for a junior developer position", "", {("job", "need")}),
        ("Mon profil : développeuse Python, je cherche un CDI", "", {("job", "need")}),
        ("", "I lead a product team", {("advice", "offer")}),  # not "leads"
        # Negation before the verb.
        ("Je ne recrute pas en ce moment", "", set()),
        ("", "On ne recrute pas", set()),
        ("Not looking for a job, just curious", "", set()),
        # Common phrasings of an offer or an ask.
        ("", "Happy to chat about growth marketing", {("advice", "offer")}),
        ("", "Ex-recruiter, can help you hire your first engineers", {("advice", "offer")}),
        ("Need help setting up our first sales process", "", {("advice", "need")}),
        ("Someone to look at my investor deck", "", {("advice", "need")}),
        ("", "Looking for startups to invest in", {("funding", "offer")}),
        ("", "Je cherche des startups dans lesquelles investir", {("funding", "offer")}),
        ("", "Looking for mentees", {("mentor", "offer")}),
        ("", "Nous accueillons des stagiaires en sécurité informatique", {("job", "offer")}),
        ("Trying to find a designer to make our logo", "", {("service", "need")}),
        # A lawyer or an accountant sought is a provider; one who advises provides.
        ("Need a French lawyer for employment contracts", "", {("service", "need")}),
        ("Je cherche un comptable pour ma micro-entreprise", "", {("service", "need")}),
        ("Recherche un juriste pour nos contrats", "", {("service", "need")}),
        ("", "Avocate, je conseille les startups", {("advice", "offer"), ("service", "offer")}),
    ],
)  # fmt: skip
def test_common_phrasings_and_false_stems(looking_for, can_offer, expected):
    assert kinds(looking_for, can_offer) == expected


def test_fields_of_the_clause_and_not_the_writers_own_role():
    # A cue with no field of its own takes the clause's.
    assert ("mentor", "need", frozenset({"ux"})) in read("Un mentor pour ma reconversion vers l'UX")
    # "we're two engineers": the help asked for is in sales, not in software.
    got = read("Need help with our first sales process, we're two engineers")
    assert ("advice", "need", frozenset({"sales"})) in got
    assert ("advice", "need", frozenset({"hr", "software"})) in read(
        "Advice on hiring our first engineers"
    )


def test_an_offer_about_another_facet_only_meets_weakly():
    """Feedback on fundraising decks (a sector) is not open to any skill: it meets a UX
    question below a UX researcher and the fundraising question above both."""
    decks = read_person("", "Happy to give feedback on fundraising decks")
    ux = read_person("", "UX researcher, happy to chat about research methods")
    interviews = read_person("Want to learn how to run user interviews properly", "")
    pitch = read_person("Need someone to review my pitch deck", "")
    assert strength(interviews, ux) == 1.0
    assert strength(interviews, decks) == 0.5
    assert strength(pitch, decks) == 1.0 > strength(pitch, ux)


def fields_of(looking_for: str = "", can_offer: str = "") -> set[str]:
    return {f for _k, _s, fs in read(looking_for, can_offer) for f in fs}


@pytest.mark.parametrize(
    ("looking_for", "can_offer", "expected"),
    [
        # French inclusive writing: the ending is not a word nor its dot a sentence end.
        ("On cherche un·e chef·fe de projet pour notre mutuelle, CDI", "",
         {("job", "offer", frozenset({"project_management", "insurtech"}))}),
        ("Recherche un.e développeur.euse mobile", "", {("job", "offer", frozenset({"mobile"}))}),
        ("", "Consultant(e) indépendant(e) en cybersécurité",
         {("service", "offer", frozenset({"security"}))}),
        # A role written before the ask is the writer's title, not someone sought.
        ("Account executive, 6 years selling SaaS, looking for my next gig", "",
         {("job", "need", frozenset({"sales", "saas"}))}),
        ("Game developer looking for my next job", "",
         {("job", "need", frozenset({"game_dev"}))}),
        # A role sought, then a job word apart from it: a role to fill, not one wanted.
        ("We're looking for a data analyst, full-time", "",
         {("job", "offer", frozenset({"analytics"}))}),
        ("Cherche un développeur backend en CDI", "", {("job", "offer", frozenset({"backend"}))}),
        ("Looking for a data analyst position", "", {("job", "need", frozenset({"analytics"}))}),
        ("Je cherche un poste de développeur backend", "",
         {("job", "need", frozenset({"backend"}))}),
        # "How do we ...?" / "comment ...?" asks for advice; "recruter" is then its field.
        ("Comment recruter nos premiers commerciaux ?", "",
         {("advice", "need", frozenset({"hr", "sales"}))}),
        ("How do we set up payroll in Germany?", "", {("advice", "need", frozenset({"hr"}))}),
        # Security written as what happened or is to be done, in both languages.
        ("Besoin d'aide, notre site s'est fait pirater", "",
         {("advice", "need", frozenset({"security"}))}),
        ("Our shop got hacked last week, need help", "",
         {("advice", "need", frozenset({"security"}))}),
        # Crowdfunding and campaigns are fields.
        ("", "Our agency runs crowdfunding campaigns",
         {("service", "offer", frozenset({"fundraising", "marketing"}))}),
    ],
)  # fmt: skip
def test_inclusive_writing_titles_hiring_and_new_field_words(looking_for, can_offer, expected):
    assert read(looking_for, can_offer) == expected


def test_a_self_description_then_an_ask_in_the_same_sentence_is_an_ask():
    """ "je suis prof ... et je veux ...": the ask after the writer's own role is read as an
    ask, and need cues in a looking-for box stand even after "je suis"."""
    got = read("je suis prof de maths et je veux me reconvertir en data, qqn pour me guider ?")
    assert ("mentor", "need", frozenset({"data"})) in got
    assert any(k == "job" and s == "need" and "data" in f for k, s, f in got)
    assert not any(s == "offer" for _k, s, _f in got)
    assert kinds("", "Je veux bien aider des juniors en data") == {("mentor", "offer")}
    assert kinds("J'aimerais bosser dans la tech pour le service public") == {("job", "need")}


def test_typos_of_long_words_are_read_and_real_words_are_not_bent():
    assert kinds("Je cherche un investiseur pour ma startup") == {("funding", "need")}
    assert "entrepreneurship" in fields_of("Conseils d'un entrepeneur")
    assert fields_of("Un mentor en recrutment") == {"hr"}
    assert kinds("", "Freelance developper, Android") == {("service", "offer")}
    # Real words one letter from a label word stay what they are.
    assert kinds("finding a job in marketing") == {("job", "need")}
    lex = lexicon()
    for word in ("properly", "finding", "managed", "founded", "passionate", "wondering"):
        assert lex.fix(word, "en") is None and lex.fix(word, "fr") is None


def test_a_provider_is_someone_to_ask_for_advice():
    """Help asked in a field meets a provider of that field (at a discount), as a provider
    sought meets an expert who advises."""
    ask = read_person("Besoin d'aide pour sécuriser notre serveur", "")
    consultant = read_person("", "Consultant cyber, audits de sécurité pour les PME")
    expert = read_person("", "Happy to advise on security")
    assert 0 < strength(ask, consultant) < strength(ask, expert)


@pytest.mark.parametrize(
    ("looking_for", "can_offer", "expected"),
    [
        # Fragments with no verb: "Label: what", the label gives the side.
        ("Offer: code reviews", "", {("advice", "offer", frozenset({"software"}))}),
        ("Recrutement: 3 commerciaux terrain", "", {("job", "offer", frozenset({"sales"}))}),
        # Informal asks: "could someone", "anyone know", "qqn qui s'y connaît", "des idées ?".
        ("Could someone check our pricing page? conversions are low", "",
         {("advice", "need", frozenset({"marketing", "growth"}))}),
        ("Does anyone know a good patent attorney?", "",
         {("advice", "need", frozenset({"legal"}))}),
        ("qqn qui s'y connaît en RGPD ?", "", {("advice", "need", frozenset({"privacy"}))}),
        ("Nos ventes stagnent, des idées ?", "", {("advice", "need", frozenset({"sales"}))}),
        # Job seeking without "job": available now, moving into a field, "du taf".
        ("Data analyst, dispo de suite", "", {("job", "need", frozenset({"analytics"}))}),
        ("Backend engineer, available immediately", "", {("job", "need", frozenset({"backend"}))}),
        ("Chercheuse en biologie, I want to move into biotech", "",
         {("job", "need", frozenset({"biotech", "research"}))}),
        # A verb-like co-found is a co-founder search.
        ("", "Designer keen to co-found a climate startup",
         {("cofounder", "offer", frozenset({"design", "climate", "entrepreneurship"})),
          ("cofounder", "need", frozenset())}),
        # "opening a second shop" is not a job opening.
        ("advice on opening a second café", "", {("advice", "need", frozenset({"hospitality"}))}),
        # Trades sought are providers: translators, video editors, architects, events crews.
        ("Besoin d'une traductrice pour nos CGV", "",
         {("service", "need", frozenset({"translation", "legal"}))}),
        ("Need a video editor for our launch", "",
         {("service", "need", frozenset({"photo_video"}))}),
        ("Besoin d'un architecte pour une rénovation", "",
         {("service", "need", frozenset({"architecture"}))}),
        # "j'assure la logistique" is not insurance.
        ("", "j'assure la logistique de vos salons",
         {("advice", "offer", frozenset({"operations", "events"})),
          ("service", "offer", frozenset({"events"}))}),
        # A negated cue that is also a field colours nothing else.
        # ... and learning with no subject named is no ask anyone can meet.
        ("pas de recrutement prévu, je viens apprendre", "", set()),
    ],
)  # fmt: skip
def test_fragments_informal_asks_and_trades(looking_for, can_offer, expected):
    assert read(looking_for, can_offer) == expected


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("un chef de partie", "hospitality"),
        ("line cooks", "hospitality"),
        ("marque de vêtements", "fashion"),
        ("clothing brand", "fashion"),
        ("ROS and motion planning", "robotics"),
        ("ingénieur robotique", "robotics"),
        ("aerospace", "space"),
        ("informatique quantique", "quantum"),
        ("purchasing", "procurement"),
        ("conducteur de travaux", "construction"),
        ("podcast editing", "audio"),
        ("event production", "events"),
        ("localisation", "translation"),
        ("courtier en assurances", "insurtech"),
    ],
)
def test_new_trades_and_sectors_are_fields(text, field):
    assert field in fields_of("", text) or field in read_person("", text).own_fields
    # ... and they sit under their broader field.
    assert lexicon().top(field) != field or lexicon().fields[field].parent is None


def test_solutions_architects_are_software_not_buildings():
    assert fields_of("", "Solutions architect, AWS") >= {"software"}
    assert "architecture" not in fields_of("", "Solutions architect, AWS")


@pytest.mark.parametrize(
    ("looking_for", "can_offer"),
    [
        # Interests: what the writer likes, in either box.
        ("Into bouldering, jazz, photography", ""),
        ("", "Into bouldering, jazz"),
        ("Passionné de musique", ""),
        ("", "Passionné de musique et de cuisine"),
        ("Fan de vélo", ""),
        ("I love coffee and startups", ""),
        ("", "I love coffee and startups"),
        ("vintage fashion lover, concerts, climbing", ""),
        ("Into investing and crypto", ""),
        # Curiosity, and advice about nothing named.
        ("Curieux de tout", ""),
        ("Curious about the future of work", ""),
        ("", "Student, happy to chat"),
        ("", "Happy to chat about anything"),
        ("Des conseils sur tout et rien", ""),
        # Being there to meet people.
        ("just here to meet people", ""),
        ("ici pour rencontrer du monde", ""),
        # Who the writer is, under "looking for": a title, not someone sought nor an offer.
        ("Product manager in fintech", ""),
        ("Data engineer chez Doctolib", ""),
        ("I'm a product manager in fintech", ""),
    ],
)
def test_interests_and_identity_ask_and_offer_nothing(looking_for, can_offer):
    assert read(looking_for, can_offer) == set()


@pytest.mark.parametrize(
    ("looking_for", "can_offer", "expected"),
    [
        # An ask or an offer next to an interest still reads.
        ("Passionate about climate, looking for a cofounder", "",
         {("cofounder", "need", frozenset({"climate"}))}),
        ("Passionné de data, open to work", "", {("job", "need", frozenset({"data"}))}),
        ("", "I love helping founders with their pricing",
         {("advice", "offer", frozenset({"entrepreneurship", "marketing"}))}),
        ("", "J'adore aider les fondateurs sur le pricing",
         {("advice", "offer", frozenset({"entrepreneurship", "marketing"}))}),
        ("", "Passionné de data, je peux aider sur SQL",
         {("advice", "offer", frozenset({"data", "databases"}))}),
        # "into" inside an ask is not an interest.
        ("I want to move into UX design", "", {("job", "need", frozenset({"ux"}))}),
        # A chat about a field offered is advice; a title under "can offer" is what the
        # writer offers (as "Je suis commerciale").
        ("", "Happy to chat about growth marketing",
         {("advice", "offer", frozenset({"growth"}))}),
        ("", "Product manager in fintech",
         {("advice", "offer", frozenset({"product", "fintech"}))}),
        # Someone sought with an article is still someone to hire.
        ("a backend developer in fintech", "",
         {("job", "offer", frozenset({"backend", "fintech"}))}),
    ],
)  # fmt: skip
def test_asks_and_offers_beside_interests_still_read(looking_for, can_offer, expected):
    assert read(looking_for, can_offer) == expected


def test_open_source_is_software_not_a_job_opening_or_sourcing():
    """Stems collided: "open-source" read as "an opening" (a job) and "sourcing" (HR)."""
    r = read_person("", "Running an open-source project and its community")
    assert [(i.kind, i.fields) for i in r.offers] == [("advice", ("software",))]
    r = read_person("Co-maintainers for our open-source library", "")
    assert all(i.kind != "job" and "hr" not in i.fields for i in r.needs)


def test_money_offered_is_for_any_field_unless_one_is_named():
    """A former CTO's "pre-seed checks" are not for software startups only: an offer of money
    naming no field is open to every field, not set to the writer's own."""
    r = read_person("I'm a CTO", "Pre-seed checks")
    assert {i.kind: i.fields for i in r.offers}["funding"] == ()
    founder = read_person("A first angel check for our data quality library", "")
    assert strength(founder, r) >= 0.75  # met as an open facet, not as another field
    r = read_person("", "Advice on going from engineer to CTO, and pre-seed checks for fintech")
    assert "fintech" in {i.kind: i.fields for i in r.offers}["funding"]


def test_cvs_and_interviews_are_careers_advice_in_both_languages():
    """ "CV reviews" offered meets "feedback on my CV" asked: a field of its own (under HR),
    not an empty offer."""
    for offer in ("CV reviews", "Relecture de CV et préparation aux entretiens"):
        assert read("", offer) == {("advice", "offer", frozenset({"careers"}))}
    assert read("Quelqu'un pour relire mon CV") == {("advice", "need", frozenset({"careers"}))}
    assert strength(read_person("Feedback on my CV", ""), read_person("", "CV reviews")) >= 0.9


def test_a_need_naming_two_fields_of_a_facet_is_met_mostly_by_its_best_field():
    """ "Our open-source data quality library" is one thing described twice (software, data):
    an investor in data startups meets it well, above one open to any field and far above
    an investor of another field; one naming both fields meets it best."""
    founder = read_person("Funding for our open-source data quality library", "")
    assert {i.kind: set(i.fields) for i in founder.needs}["funding"] == {"software", "data"}
    data = read_person("", "I invest in data startups")
    both = read_person("", "I invest in open-source software and data startups")
    anyone = read_person("", "Pre-seed checks")
    fintech = read_person("", "I invest in fintech startups")
    assert strength(founder, both) == 1.0
    assert 0.85 <= strength(founder, data) < 1.0
    assert strength(founder, data) > strength(founder, anyone) > strength(founder, fintech)


@pytest.mark.parametrize(
    ("can_offer", "expected"),
    [
        # A cue with no field does not take the next item's ("checks, and advice on X").
        ("Pre-seed checks, and advice on going from engineer to CTO",
         {"funding": set(), "advice": {"software", "engineering_management"}}),
        # A field belongs to the cue before it in its phrase, not to the nearest one.
        ("Pre-seed checks for data startups, and advice on going from engineer to CTO",
         {"funding": {"data", "entrepreneurship"},
          "advice": {"software", "engineering_management"}}),
        ("Des tickets pre-seed, et des conseils pour passer de dev à CTO",
         {"funding": set(), "advice": {"software", "engineering_management"}}),
        ("J'investis dans la fintech et je mentore des développeurs backend",
         {"funding": {"fintech"}, "mentor": {"backend"}}),
        ("Happy to review UX work as well as mentor designers",
         {"advice": {"ux"}, "mentor": {"design"}}),
    ],
)  # fmt: skip
def test_fields_belong_to_the_cue_of_their_phrase(can_offer, expected):
    got = {i.kind: set(i.fields) for i in read_person("", can_offer).offers}
    assert got == expected


def test_a_cue_with_no_field_still_takes_its_clauses_across_a_bare_and():
    assert {
        i.kind: set(i.fields) for i in read_person("Un mentor et des conseils en data").needs
    } == {"mentor": {"data"}, "advice": {"data"}}
    needs = read_person("je veux me reconvertir en data et qqn pour me guider").needs
    assert ("mentor", ("data",)) in [(i.kind, i.fields) for i in needs]
    needs = read_person("Looking for a CTO co-founder, and seed money for our healthtech").needs
    assert {i.kind: set(i.fields) for i in needs}["funding"] == {"health"}


def test_an_opening_we_have_is_a_job_offered_even_under_looking_for():
    assert kinds("We have an opening for a backend dev") == {("job", "offer")}
    assert kinds("On a un poste de dev backend à pourvoir") == {("job", "offer")}
    assert kinds("Looking for an opening in data") == {("job", "need")}
