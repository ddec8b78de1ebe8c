"""A small French and English vocabulary, names and places: enough words for search to chew on."""

FR_WORDS = """
accord actualité administration alliance analyse annonce armée assemblée attaque audience
autorité avenir bataille budget cabinet campagne candidat capitale catastrophe cessez-le-feu
chômage citoyens climat coalition commission communauté compromis conférence confiance conflit
congrès conseil constitution contrat coopération crise croissance culture débat décision
déclaration défense déficit délégation démocratie député dette développement diplomatie
discours discussion dossier droit économie éducation élection électeurs émeute emploi énergie
engagement enquête entreprise environnement équipe espoir état étudiants europe exil
exportations famille finances frontière gouvernement grève guerre hôpital immigration impôts
incendie industrie inflation infrastructure initiative innovation inquiétude institution
investissement jeunesse journalistes justice laïcité législation liberté logement loi majorité
manifestation marché médias menace mesure migrants militaires ministre mobilisation monnaie
négociation nucléaire observateurs opposition paix parlement partenaires parti patronat pays
pétrole police politique population pouvoir président presse prix procès production programme
projet protestation province réforme réfugiés région relation rapport recherche référendum
régime réseau résistance responsables retraites réunion révolution risque salaires santé
sanctions sécurité sénat service sommet stratégie syndicats technologie territoire terrorisme
tension traité transition transport tribunal union université urgence vaccin victoire village
ville violence vote
""".split()

FR_GLUE = """
le la les un une des du de et ou mais donc car ne pas plus très aussi encore déjà selon
avec sans pour contre dans sur sous entre après avant depuis pendant vers chez lors
a été sera serait doit peut veut fait annonce affirme estime rappelle souligne dénonce
nouveau nouvelle grand grande premier première dernier dernière important importante
national nationale international internationale public publique européen européenne
""".split()

EN_WORDS = """
agreement analysis announcement army assembly attack authority budget cabinet campaign
candidate capital ceasefire cities citizens climate coalition commission community compromise
conference confidence conflict congress council court crisis culture debate decision
declaration defence deficit delegation democracy deputy debt development diplomacy discussion
economy education election voters employment energy enquiry company environment team hope
state students exile exports family finance border government strike war hospital immigration
taxes fire industry inflation infrastructure initiative innovation concern institution
investment youth journalists justice legislation freedom housing law majority protest market
media threat measure migrants military minister mobilisation currency negotiation nuclear
observers opposition peace parliament partners party country oil police policy population
power president press prices trial production programme project province reform refugees
region relationship report research referendum regime network resistance officials pensions
meeting revolution risk wages health sanctions security senate service summit strategy unions
technology territory terrorism tension treaty transition transport tribunal union university
emergency vaccine victory village violence vote
""".split()

EN_GLUE = """
the a an of and or but so for with without against in on under between after before since
during towards at by from is was will would must can could says said announced claims warns
recalls stresses new first last important national international public european major
""".split()

PLACES = """
Paris Lyon Marseille Bordeaux Lille Toulouse Nantes Strasbourg Bruxelles Genève Berlin Londres
Madrid Rome Varsovie Kiev Moscou Washington Pékin Tokyo Séoul Delhi Téhéran Bagdad Damas
Beyrouth Jérusalem Ankara Athènes Lisbonne Dakar Abidjan Alger Tunis Rabat Caire Nairobi
Montréal Ottawa Mexico Brasilia Bogota Caracas Santiago Sydney Istanbul Vienne Prague Budapest
""".split()

FIRST_NAMES = """
Jeanne Pierre Marie Jean Sophie Paul Claire Louis Anne Michel Camille Nicolas Julie Thomas
Léa Antoine Sarah Hugo Emma Lucas Inès Karim Fatou Yasmine Olivier Isabelle Laurent Nathalie
John Mary Peter Susan David Helen James Linda Robert Maria Sergei Olga Ahmed Leila Wei Mei
Kenji Yuki Carlos Lucia Hans Greta Marco Giulia Ivan Elena Omar Amina Ali Nadia
""".split()

LAST_NAMES = """
Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre
Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier Dupont Lambert
Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc Guerin Muller Henry Roussel
Nicolas Perrin Morin Mathieu Clement Gauthier Dumont Lopez Fontaine Chevalier Robin Smith
Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Moore Jackson White Harris
Kerry Cook Petrov Ivanova Schmidt Rossi Tanaka Chen Kim Haddad Diallo Traoré Benali Novak
""".split()

ROLES = [
    "ministre des Affaires étrangères", "porte-parole du gouvernement", "secrétaire d'État",
    "porte-parole du Pentagone", "président de la commission", "députée", "sénateur", "maire",
    "économiste", "chercheuse", "syndicaliste", "chef d'entreprise", "ambassadeur", "général",
    "avocate", "juge", "professeur", "porte-parole de la diplomatie", "Prime Minister",
    "Secretary of State", "spokesperson", "chief executive", "analyst", "senator", "governor",
]

ORGANIZATIONS = [
    "Gouvernement français", "Département d'État", "Kremlin", "Commission européenne", "ONU",
    "OTAN", "Banque centrale européenne", "FMI", "Assemblée nationale", "Sénat", "CGT", "Medef",
    "Institut Pasteur", "CNRS", "Sciences Po", "Pentagone", "White House", "Downing Street",
]

# (name, kind, homepage) of the sources every generated site cites.
SOURCES = [
    ("Le Figaro", "publication", "https://www.lefigaro.fr/"),
    ("Le Monde", "publication", "https://www.lemonde.fr/"),
    ("Libération", "publication", "https://www.liberation.fr/"),
    ("Les Échos", "publication", "https://www.lesechos.fr/"),
    ("The Guardian", "publication", "https://www.theguardian.com/"),
    ("The New York Times", "publication", "https://www.nytimes.com/"),
    ("Der Spiegel", "publication", "https://www.spiegel.de/"),
    ("El País", "publication", "https://elpais.com/"),
    ("AFP", "news_agency", "https://www.afp.com/"),
    ("Reuters", "news_agency", "https://www.reuters.com/"),
    ("Associated Press", "news_agency", "https://apnews.com/"),
    ("Getty Images", "photo_agency", "https://www.gettyimages.fr/"),
    ("Sipa Press", "photo_agency", "https://www.sipa.com/"),
    ("Maxppp", "photo_agency", "https://www.maxppp.com/"),
    ("France 24", "broadcaster", "https://www.france24.com/"),
    ("BBC", "broadcaster", "https://www.bbc.co.uk/"),
    ("Élysée", "official", "https://www.elysee.fr/"),
    ("X", "social", "https://x.com/"),
]

# (slug, name, [(slug, name) of subcategories]), in menu order.
CATEGORIES = [
    ("international", "International", [("europe", "Europe"), ("moyen-orient", "Moyen-Orient"),
                                        ("ameriques", "Amériques"), ("afrique", "Afrique"),
                                        ("asie", "Asie")]),
    ("politique", "Politique", [("gouvernement", "Gouvernement"), ("parlement", "Parlement")]),
    ("economie", "Économie", [("entreprises", "Entreprises"), ("marches", "Marchés"),
                              ("numerique", "Numérique")]),
    ("societe", "Société", [("justice", "Justice"), ("education", "Éducation"), ("sante", "Santé")]),
    ("culture", "Culture", [("cinema", "Cinéma"), ("livres", "Livres"), ("musique", "Musique")]),
    ("sciences", "Sciences", [("espace", "Espace"), ("climat", "Climat")]),
    ("sport", "Sport", [("football", "Football"), ("rugby", "Rugby"), ("tennis", "Tennis")]),
    ("decryptages", "Décryptages", []),
    ("dossiers", "Dossiers", []),
]

SITE_COMMENTS = {
    "enabled": False,
    "reason": "En raison de débordements répétés, nous avons fait le choix de suspendre les "
              "commentaires sur l’ensemble du site.",
}
