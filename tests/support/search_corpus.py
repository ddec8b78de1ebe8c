"""A small French and English news corpus for the relevance tests, and the queries it answers.

Every article is Gazette's own writing. Each query names the slug that must come first; the
cases cover stemming, accents, case, phrases, exclusions, OR and the title's extra weight.
"""

FRENCH = [
    (
        "fr-discussions-militaires-syrie",
        "Moscou et Washington ouvrent des discussions militaires sur la Syrie",
        "Les deux armées reprennent langue pour éviter tout incident dans le ciel syrien.",
        [
            "Le secrétaire américain à la Défense, Ashton Carter, s’est entretenu avec son homologue russe, "
            "Sergueï Choïgou, de la situation en Syrie.",
            "Les avions de la coalition frappent chaque jour les positions de l’État islamique.",
        ],
    ),
    (
        "fr-choigou-damas",
        "Sergueï Choïgou en visite surprise à Damas",
        "Le ministre russe de la Défense a rencontré les responsables du régime.",
        [
            "La Russie renforce sa base aérienne près de Lattaquié.",
            "Le déplacement n’avait pas été annoncé par Moscou.",
        ],
    ),
    (
        "fr-aide-humanitaire-alep",
        "L’aide humanitaire peine à atteindre Alep",
        "Les convois des ONG restent bloqués aux portes de la ville syrienne.",
        [
            "Plusieurs convois humanitaires attendent depuis une semaine l’autorisation de passer.",
            "Les habitants manquent de nourriture et de médicaments, alertent les ONG présentes en Syrie.",
        ],
    ),
    (
        "fr-cop21-accord-climat",
        "COP21 : un accord historique sur le climat",
        "Les 195 pays réunis au Bourget ont adopté un texte pour limiter le réchauffement climatique.",
        [
            "Laurent Fabius a frappé de son marteau vert samedi soir, sous les applaudissements.",
            "Chaque pays devra réduire ses émissions de gaz à effet de serre et rendre des comptes.",
        ],
    ),
    (
        "fr-prix-petrole",
        "Le prix du pétrole au plus bas depuis six ans",
        "Le baril de brent est passé sous les 40 dollars, une aubaine pour les automobilistes.",
        [
            "L’OPEP refuse de réduire sa production malgré la chute des cours.",
            "À la pompe, le litre d’essence a perdu plusieurs centimes en un mois.",
        ],
    ),
    (
        "fr-librairie-nantes",
        "À Nantes, une librairie de quartier fête ses cent ans",
        "Un siècle de livres, de lecteurs fidèles et de rencontres avec des auteurs.",
        [
            "La libraire a repris la boutique de son grand-père en 1998.",
            "Pour son centenaire, la librairie organise une semaine de lectures publiques.",
        ],
    ),
    (
        "fr-start-up-fonds",
        "Les start-up françaises lèvent des fonds record",
        "Les investisseurs ont misé plus de deux milliards d’euros sur la jeune pousse française.",
        [
            "Le capital-risque n’a jamais été aussi présent dans le numérique.",
            "Les fonds américains s’intéressent désormais aux entreprises parisiennes.",
        ],
    ),
    (
        "fr-refugies-paris-berlin",
        "Paris et Berlin s’accordent sur l’accueil des réfugiés",
        "Un mécanisme de répartition des demandeurs d’asile sera proposé aux partenaires européens.",
        [
            "Les négociateurs ont trouvé un compromis sur le financement du fonds d’urgence.",
            "Chaque État membre accueillerait un nombre de réfugiés fondé sur sa population.",
        ],
    ),
    (
        "fr-elections-regionales",
        "Élections régionales : un second tour sous tension",
        "L’abstention reste le premier parti de France, selon les instituts de sondage.",
        [
            "Les candidats multiplient les meetings pour mobiliser les électeurs.",
            "Les résultats seront connus dimanche soir.",
        ],
    ),
    (
        "fr-greve-sncf",
        "Grève à la SNCF : les trains restent à quai",
        "Les cheminots protestent contre la réforme de leur statut.",
        [
            "Les syndicats appellent à poursuivre le mouvement toute la semaine.",
            "Les voyageurs sont invités à reporter leurs déplacements.",
        ],
    ),
    (
        "fr-vendanges-bordelais",
        "Vendanges précoces dans le Bordelais",
        "La chaleur de l’été a avancé la récolte de deux semaines.",
        [
            "Les vignerons se réjouissent d’un raisin sain et très mûr.",
            "Le millésime s’annonce exceptionnel, disent les négociants.",
        ],
    ),
    (
        "fr-louvre-record",
        "Le Louvre bat son record de fréquentation",
        "Plus de neuf millions de visiteurs ont franchi la pyramide cette année.",
        [
            "Les expositions temporaires ont attiré un public nouveau.",
            "La Joconde reste l’œuvre la plus photographiée du musée.",
        ],
    ),
    (
        "fr-etat-urgence",
        "L’état d’urgence prolongé de trois mois",
        "Les députés ont voté la prolongation à une large majorité.",
        [
            "L’Assemblée nationale a débattu pendant toute la nuit.",
            "Les perquisitions administratives pourront se poursuivre.",
        ],
    ),
    (
        "fr-euro-2016-bleus",
        "Euro 2016 : les Bleus en demi-finale",
        "L’équipe de France a dominé l’Islande au Stade de France.",
        ["Antoine Griezmann a marqué deux fois.", "Les supporters ont fêté la victoire jusque tard dans la nuit."],
    ),
    (
        "fr-intelligence-artificielle",
        "L’intelligence artificielle menace-t-elle nos emplois ?",
        "Robots et logiciels automatisent des tâches jusqu’ici réservées aux salariés.",
        [
            "Les économistes ne s’accordent pas sur l’ampleur des destructions d’emplois.",
            "La formation continue est présentée comme la meilleure réponse.",
        ],
    ),
    (
        "fr-running-tendance",
        "Le running, nouvelle passion des citadins",
        "Les clubs de course à pied ne désemplissent pas.",
        ["Le running se pratique désormais en groupe, le soir après le travail."],
    ),
]

ENGLISH = [
    (
        "en-us-russia-military-talks",
        "US and Russia agree to hold military talks over Syria",
        "The Pentagon says the talks aim to avoid incidents between aircraft.",
        [
            "Defense Secretary Ashton Carter spoke with his Russian counterpart, Sergei Shoigu.",
            "The coalition carries out airstrikes against Islamic State every day.",
        ],
    ),
    (
        "en-paris-climate-deal",
        "Paris climate deal: what 195 countries signed up to",
        "Negotiators at COP21 reached an agreement to limit global warming.",
        [
            "Every country will have to cut its emissions and report on its progress.",
            "The deal was adopted on Saturday evening.",
        ],
    ),
    (
        "en-oil-price-slump",
        "Oil prices slump to a six-year low",
        "A barrel of Brent fell below 40 dollars as OPEC kept pumping.",
        ["Drivers are paying less for petrol than at any time since 2009."],
    ),
    (
        "en-bookshop-centenary",
        "A London bookshop celebrates its hundredth birthday",
        "A century of books, loyal readers and author evenings.",
        [
            "The bookseller took over the shop from her grandfather.",
            "Readings are planned all week for the anniversary.",
        ],
    ),
    (
        "en-tech-startups-funding",
        "European tech startups raise record funding",
        "Investors put more than two billion euros into young companies.",
        ["Venture capital has never been so present in the digital economy."],
    ),
    (
        "en-refugee-quotas",
        "EU ministers clash over refugee quotas",
        "A plan to share asylum seekers among member states divides the bloc.",
        ["Germany and France back the proposal; Hungary rejects it."],
    ),
    (
        "en-general-election",
        "Polls tighten ahead of the general election",
        "Turnout could decide the result, pollsters say.",
        ["Candidates are criss-crossing the country to win over undecided voters."],
    ),
    (
        "en-rail-strike",
        "Rail strike leaves commuters stranded",
        "Unions say the walkout will continue all week.",
        ["Hundreds of trains were cancelled on Monday morning."],
    ),
    (
        "en-bordeaux-harvest",
        "Early harvest for Bordeaux winemakers",
        "A summer heatwave brought the grape harvest forward by two weeks.",
        ["Winemakers expect an exceptional vintage from healthy, ripe grapes."],
    ),
    (
        "en-museum-record",
        "British Museum welcomes a record number of visitors",
        "More than six million people came through the doors last year.",
        ["Temporary exhibitions drew a new, younger public."],
    ),
    (
        "en-state-of-emergency",
        "France extends its state of emergency",
        "Parliament voted for three more months by a large majority.",
        ["Police raids without a judge's warrant can go on."],
    ),
    (
        "en-euro-2016-semi-final",
        "Euro 2016: France reach the semi-final",
        "The hosts beat Iceland at the Stade de France.",
        ["Antoine Griezmann scored twice.", "Fans in France celebrated late into the night."],
    ),
    (
        "en-ai-jobs",
        "Will artificial intelligence take our jobs?",
        "Robots and software now automate tasks once done by office workers.",
        ["Economists disagree about how many jobs automation will destroy."],
    ),
    (
        "en-running-boom",
        "The running boom: why millions took up jogging",
        "Running clubs are full every evening.",
        ["Runners say the sport costs little more than a pair of shoes."],
    ),
]

# (query, slug that must come first)
CASES = [
    # French: stemming, accents, case, phrases, stop-words inside a query
    ("discussion militaire syrie", "fr-discussions-militaires-syrie"),
    ("DISCUSSIONS MILITAIRES", "fr-discussions-militaires-syrie"),
    ("Choigou", "fr-choigou-damas"),
    ("choïgou damas", "fr-choigou-damas"),
    ("Etat d'urgence", "fr-etat-urgence"),
    ('"état d’urgence"', "fr-etat-urgence"),
    ("rechauffement climatique", "fr-cop21-accord-climat"),
    ("cop21", "fr-cop21-accord-climat"),
    ("prix du petrole", "fr-prix-petrole"),
    ("barils", "fr-prix-petrole"),
    ("libraires", "fr-librairie-nantes"),
    ("start-up investisseurs", "fr-start-up-fonds"),
    ("réfugiés Berlin", "fr-refugies-paris-berlin"),
    ("demandeur d'asile", "fr-refugies-paris-berlin"),
    ("election abstention", "fr-elections-regionales"),
    ("greve cheminots", "fr-greve-sncf"),
    ("millesimes raisins", "fr-vendanges-bordelais"),
    ("musée visiteur", "fr-louvre-record"),
    ("Bleus demi-finale", "fr-euro-2016-bleus"),
    ("intelligence artificielle", "fr-intelligence-artificielle"),
    # French: exclusion and OR
    ("syrie -russe", "fr-aide-humanitaire-alep"),
    ("humanitaire OR convois", "fr-aide-humanitaire-alep"),
    # English: stemming, phrases with stop-words, hyphens
    ("talks", "en-us-russia-military-talks"),
    ("military talk syria", "en-us-russia-military-talks"),
    ("Shoigu", "en-us-russia-military-talks"),
    ("climate agreement", "en-paris-climate-deal"),
    ("emission", "en-paris-climate-deal"),
    ("barrels", "en-oil-price-slump"),
    ("bookshops", "en-bookshop-centenary"),
    ("startup investors", "en-tech-startups-funding"),
    ("asylum seeker", "en-refugee-quotas"),
    ("election turnout", "en-general-election"),
    ("strikes commuters", "en-rail-strike"),
    ("grapes harvest", "en-bordeaux-harvest"),
    ('"state of emergency"', "en-state-of-emergency"),
    ("semi-final", "en-euro-2016-semi-final"),
    ("Artificial Intelligence", "en-ai-jobs"),
    ("run", "en-running-boom"),
    # English: exclusion and OR
    ("France -Griezmann -Iceland", "en-state-of-emergency"),
    ("winemakers OR vineyards", "en-bordeaux-harvest"),
]
