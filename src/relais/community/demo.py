"""Demo peer help: questions asked by staff, answered by colleagues (French content); most
have an answer accepted by the asker, a few wait for one.

Twenty threads are written by hand (THREADS, the newest); about 280 more (× ctx.scale) are
composed from French building blocks (TOPICS: a tool, its usual problems and fixes; who asks,
from where; how they say it), asked and answered by other members, voted on and accepted
through the services, then spread over the last months. Deterministic through ctx.rng."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from django.db.models import F
from django.utils import timezone

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.community.models import Answer, Member, Question, Vote
from relais.community.services import (
    answer_accept,
    answer_post,
    member_join,
    points_rebuild,
    question_ask,
    question_close_duplicate,
    vote_cast,
)
from relais.core.demo import DemoContext
from relais.tickets.models import Category


class Thread(NamedTuple):
    category: str  # "Root" or "Root/Child", as seeded by tickets migration 0002
    title: str
    tags: tuple[str, ...]
    body: str
    answers: tuple[str, ...] = ()
    accepted: int | None = None  # index in `answers`, accepted by the asker


THREADS = [
    Thread(
        "Connexion & VPN/VPN",
        "Le VPN coupe pendant mes réunions Teams",
        ("vpn", "teams", "télétravail"),
        "Bonjour, depuis ce matin le VPN se déconnecte dès que je suis en visio sur Teams "
        "(au bout de 5-10 min). Le reste du temps ça tient à peu près. Je suis en Wi-Fi, la "
        "box est dans le salon. Quelqu'un a déjà eu ça ?",
        (
            "J'avais exactement ça l'an dernier. Pour moi c'était le Wi-Fi : la box est à "
            "l'autre bout de l'appartement. J'ai branché un câble réseau (le portable a une "
            "prise, ou via la station d'accueil) et plus aucune coupure depuis.",
            "Essaie aussi de couper ta caméra quand tu ne parles pas, ça soulage beaucoup la "
            "connexion. Et si quelqu'un regarde Netflix à la maison en même temps…",
        ),
        0,
    ),
    Thread(
        "Impression/Imprimante",
        "Imprimer à l'agence Sud alors que je suis rattachée à l'agence Nord ?",
        ("impression", "badge", "agence"),
        "Bonjour à tous, je vais passer la journée de jeudi à l'agence Sud. Est-ce que je "
        "pourrai récupérer mes impressions là-bas avec mon badge, ou il faut installer leur "
        "imprimante ?",
        (
            "Oui ça marche partout ! Tu imprimes sur « Suivez-moi » comme d'habitude et tu "
            "passes ton badge sur n'importe quel copieur, au siège ou en agence. Rien à "
            "installer.",
        ),
        0,
    ),
    Thread(
        "Messagerie/Boîte partagée",
        "Voir la boîte mail de l'agence sur mon téléphone",
        ("boîte partagée", "outlook", "smartphone"),
        "Bonjour, j'ai accès à la boîte de l'agence sur mon ordinateur mais pas sur mon "
        "téléphone pro. Comment on fait pour l'ajouter dans l'appli Outlook ?",
        (
            "Dans l'appli Outlook : tu touches ton initiale en haut à gauche, puis la roue "
            "crantée, tu choisis ton compte et tout en bas « Ajouter une boîte aux lettres "
            "partagée ». Tu tapes l'adresse de l'agence et c'est bon.",
            "Attention, il faut que les droits soient déjà donnés sur ton compte, sinon ça "
            "refuse. Mais si tu la vois sur le PC, c'est le cas.",
        ),
        0,
    ),
    Thread(
        "Applications métier/Dysfonctionnement",
        "Interv n'affiche plus les bons de la semaine prochaine",
        ("interv", "bon de travaux", "gardien"),
        "Bonjour, avant je voyais les bons de travaux de toute la semaine dans Interv, "
        "depuis la mise à jour je ne vois que ceux du jour. C'est un bug ?",
        (
            "Pas un bug, ils ont changé l'affichage. En haut de l'écran il y a la date de la "
            "tournée : tu appuies dessus et tu peux choisir « Semaine ». Chez moi ça "
            "remontre tout.",
            "Pareil pour moi, et pensez à tirer l'écran vers le bas pour synchroniser le "
            "matin, sinon on ne voit pas les bons ajoutés dans la nuit.",
        ),
        0,
    ),
    Thread(
        "Poste de travail/Logiciel",
        "Coller du texte sans la mise en forme dans Outlook ?",
        ("outlook", "word", "raccourci", "copier-coller"),
        "Question bête : quand je copie un texte depuis Gesloc ou un site internet dans un "
        "mail, ça garde les couleurs et la police bizarre. Il y a une astuce pour coller "
        "juste le texte ?",
        (
            "Ctrl + Maj + V au lieu de Ctrl + V : ça colle le texte seul. Ça marche dans "
            "Outlook, Word et Teams.",
            "Sinon clic droit > dans les options de collage, l'icône avec le « A » (Conserver "
            "uniquement le texte).",
        ),
        0,
    ),
    Thread(
        "Applications métier/Dysfonctionnement",
        "Gesloc : retrouver un locataire avec le numéro de logement",
        ("gesloc", "recherche", "locataire"),
        "Bonjour, souvent les locataires nous appellent en donnant juste leur bâtiment et "
        "leur numéro de porte. Dans Gesloc je ne trouve que la recherche par nom. Vous "
        "faites comment ?",
        (
            "Dans la recherche, clique sur « Recherche avancée » (la petite loupe avec le "
            "plus). Tu peux saisir le groupe d'immeubles, le bâtiment et le numéro de lot. "
            "Le numéro de lot est sur l'étiquette de la boîte aux lettres en général.",
            "Astuce : l'adresse marche aussi dans la recherche avancée, avec juste le début "
            "(« 90 bd de Bell… »), puis tu filtres par étage.",
        ),
        0,
    ),
    Thread(
        "Plateformes collaboratives/Teams",
        "Flouter l'arrière-plan dans Teams",
        ("teams", "visio", "arrière-plan"),
        "Bonjour, en télétravail ma cuisine n'est pas très présentable 😅 On peut flouter le "
        "fond dans Teams sur nos portables ?",
        (
            "Oui ! Avant de rejoindre la réunion, sur l'écran de l'aperçu caméra, clique sur "
            "« Effets et avatars » puis choisis « Flou ». En pleine réunion : « Plus » > "
            "« Effets vidéo ». Il y a aussi des fonds avec le logo de l'office.",
        ),
        0,
    ),
    Thread(
        "Poste de travail/Ordinateur portable",
        "Au bureau partagé, mes deux écrans sont inversés",
        ("écran", "double écran", "dock"),
        "Bonjour, quand je me branche sur la station d'accueil du bureau partagé, la souris "
        "sort à gauche de l'écran de droite… bref les écrans sont inversés. Ça me rend "
        "folle. Comment on règle ça ?",
        (
            "Clic droit sur le bureau > Paramètres d'affichage. Tu vois deux rectangles 1 et "
            "2 : clique sur « Identifier » pour savoir lequel est lequel, puis fais glisser "
            "les rectangles pour les mettre dans le même ordre que sur ton bureau. "
            "« Appliquer » et c'est fini.",
            "Windows s'en souvient normalement pour la prochaine fois sur le même bureau.",
        ),
        0,
    ),
    Thread(
        "Accès & mots de passe/Mot de passe oublié ou expiré",
        "Depuis que j'ai changé mon mot de passe, mon téléphone le redemande sans arrêt",
        ("mot de passe", "smartphone", "outlook"),
        "Bonjour, j'ai changé mon mot de passe Windows lundi et depuis mon téléphone pro me "
        "demande de me reconnecter toutes les heures, et hier mon compte a été bloqué. Une "
        "idée ?",
        (
            "C'est sûrement une appli qui essaie encore avec l'ancien mot de passe et qui "
            "bloque ton compte. Il faut mettre le nouveau partout : Outlook, Teams, Interv, et "
            "aussi le Wi-Fi si tu l'avais enregistré.",
            "Chez moi c'était l'ancienne tablette de l'agence où j'étais encore connecté à "
            "Outlook. Je m'en suis déconnecté et plus de blocage.",
            "Si ça continue, le 4000 peut voir d'où viennent les tentatives, ils me l'ont fait "
            "une fois.",
        ),
        0,
    ),
    Thread(
        "Plateformes collaboratives/Partage de fichiers",
        "Envoyer les photos d'un chantier à une entreprise extérieure",
        ("onedrive", "partage", "prestataire", "fichiers"),
        "Bonjour, je dois envoyer environ 200 photos d'une réhabilitation à l'entreprise de "
        "travaux, ça ne passe pas par mail (trop lourd). On a le droit d'utiliser WeTransfer "
        "ou il y a mieux ?",
        (
            "Il vaut mieux passer par OneDrive : tu mets les photos dans un dossier, clic "
            "droit > Partager > « Les personnes que vous choisissez », tu mets l'adresse de "
            "l'entreprise. Ils reçoivent un lien et un code par mail. Pas besoin de "
            "WeTransfer (et je crois que ce n'est pas autorisé).",
            "Pense à mettre une date d'expiration au lien dans les paramètres de partage, "
            "c'est plus propre.",
        ),
        0,
    ),
    Thread(
        "Messagerie/Calendrier",
        "Réserver une salle de réunion au siège depuis Outlook",
        ("calendrier", "salle", "réunion", "outlook"),
        "Bonjour, comment on voit si la salle du 3e est libre ? Je ne trouve pas le planning "
        "des salles.",
        (
            "Quand tu crées la réunion dans Outlook, clique sur « Rechercher une salle » (ou "
            "« Emplacement > Parcourir les salles »). Les salles du siège commencent par "
            "SIEGE-. Si la salle accepte l'invitation, elle est réservée.",
            "Et pour voir les dispos d'un coup d'œil : Calendrier > Ajouter un calendrier > "
            "À partir du carnet d'adresses, tu ajoutes la salle, elle s'affiche à côté du "
            "tien.",
        ),
        1,
    ),
    Thread(
        "Téléphonie/Téléphone mobile",
        "Dicter un mail sur le téléphone pendant la tournée",
        ("smartphone", "dictée", "outlook", "gardien"),
        "Bonjour, je suis gardien et taper des mails sur le téléphone avec les gants c'est "
        "compliqué. On peut dicter ?",
        (
            "Oui, sur le clavier du téléphone il y a un petit micro (en bas ou en haut à "
            "droite selon le modèle). Tu appuies dessus et tu parles, ça écrit tout seul. "
            "Dis « virgule » et « point » pour la ponctuation. Ça marche aussi dans Interv "
            "pour les commentaires des bons.",
        ),
        0,
    ),
    Thread(
        "Poste de travail/Lenteurs",
        "Le fichier Excel des charges met 5 minutes à s'ouvrir",
        ("excel", "lenteur", "lecteur réseau"),
        "Bonjour, le gros fichier Excel de régularisation des charges sur le S: est devenu "
        "super lent, chaque modification fige Excel plusieurs secondes. C'est mon PC ?",
        (
            "Probablement pas ton PC, ce fichier est énorme avec plein de formules. Essaie "
            "Formules > Options de calcul > Manuel : Excel ne recalcule plus à chaque saisie, "
            "tu fais F9 quand tu as fini. Remets en automatique après.",
            "En télétravail c'est pire parce qu'il passe par le VPN. Moi je le copie sur mon "
            "bureau, je travaille dessus et je le remets sur le S: (en prévenant les "
            "collègues pour ne pas écraser leurs modifs).",
        ),
        0,
    ),
    Thread(
        "Plateformes collaboratives/SharePoint",
        "Où est le formulaire de demande de formation ?",
        ("le fil", "rh", "formation", "formulaire"),
        "Bonjour, je cherche le formulaire de demande de formation, il était sur l'ancien "
        "intranet. Quelqu'un sait où il est passé sur Le Fil ?",
        (
            "Sur Le Fil : Mon espace RH > Formation > Formulaires. Il est en ligne maintenant, "
            "plus besoin d'imprimer, ton responsable valide directement.",
        ),
        0,
    ),
    Thread(
        "Téléphonie/Téléphone fixe / softphone",
        "Renvoyer mon fixe sur mon portable en télétravail",
        ("téléphone", "renvoi", "softphone", "télétravail"),
        "Bonjour, les jours de télétravail je rate les appels sur mon fixe du bureau. On peut "
        "renvoyer vers le portable pro ?",
        (
            "Tu as le softphone installé sur le PC ? Si oui, tes appels sonnent directement "
            "dessus quand tu es connecté (avec le VPN), pas besoin de renvoi.",
            "Sinon, avant de partir du bureau, touche « Renvoi » sur le poste fixe, tu tapes "
            "le numéro du portable et tu valides. Pense à l'annuler en revenant !",
        ),
        1,
    ),
    Thread(
        "Poste de travail/Logiciel",
        "Signer un PDF sans l'imprimer",
        ("pdf", "signature", "acrobat"),
        "Bonjour, on me demande de signer un document PDF et de le renvoyer. Je dois vraiment "
        "l'imprimer, signer et scanner ? Ça fait beaucoup de papier…",
        (
            "Dans Acrobat Reader : Outils > « Remplir et signer » > Signer vous-même. Tu peux "
            "dessiner ta signature à la souris ou importer une image. Puis tu enregistres.",
            "Attention, pour les documents officiels (contrats, marchés) il faut parfois une "
            "vraie signature électronique, demande à ton responsable.",
        ),
    ),
    Thread(
        "Connexion & VPN/Wi-Fi",
        "Pas de Wi-Fi RELAIS-PRO dans la loge des Olympiades",
        ("wifi", "loge", "gardien"),
        "Bonjour, à la loge de la résidence Olympiades je ne vois pas le réseau RELAIS-PRO, "
        "alors qu'à l'agence il marche. Il faut le demander ?",
        (
            "Je crois que les loges n'ont pas le Wi-Fi de l'office, nous aux Olympiades aussi "
            "on fait tout en 4G avec le téléphone. Pour le PC de la loge c'est le câble réseau.",
        ),
    ),
    Thread(
        "Applications métier/Demande d'évolution",
        "Interv sur tablette, c'est possible ?",
        ("interv", "tablette", "gardien"),
        "Bonjour, pour les états des lieux l'écran du téléphone est un peu petit pour les "
        "photos et la signature du locataire. Est-ce que quelqu'un utilise Interv sur une "
        "tablette ?",
    ),
    Thread(
        "Applications métier/Dysfonctionnement",
        "Les photos n'apparaissent pas dans le PDF de l'état des lieux",
        ("interv", "état des lieux", "photo", "pdf"),
        "Bonjour, depuis hier quand je génère le PDF d'un état des lieux dans Interv, les "
        "photos sont des carrés gris. Sur le téléphone elles s'affichent bien. Vous avez le "
        "même souci ?",
    ),
    Thread(
        "Plateformes collaboratives/Teams",
        "Couper les notifications Teams le soir et le week-end",
        ("teams", "notifications", "smartphone"),
        "Bonjour, depuis que j'ai Teams sur mon téléphone pro, il sonne même le dimanche. On "
        "peut le mettre en pause en dehors des horaires ?",
    ),
]


# -- Generated threads: building blocks ----------------------------------------------------

GENERATED = 280  # at scale 1.0, on top of THREADS


class Topic(NamedTuple):
    category: str
    tags: tuple[str, ...]
    problems: tuple[tuple[str, str], ...]  # (title, what happens, in the asker's words)
    fixes: tuple[str, ...]  # answers that solve it (the first ones are accepted more often)


TOPICS = [
    Topic(
        "Applications métier/Dysfonctionnement",
        ("gesloc",),
        (
            (
                "Gesloc se fige en éditant une quittance",
                "Gesloc se fige dès que je lance "
                "l'édition d'une quittance, il faut tuer l'application",
            ),
            (
                "Gesloc : le solde du locataire n'est pas à jour",
                "le solde affiché dans la fiche "
                "locataire de Gesloc ne tient pas compte du paiement d'hier",
            ),
            (
                "Gesloc me déconnecte toutes les dix minutes",
                "Gesloc me renvoie à l'écran de connexion toutes les dix minutes environ",
            ),
            (
                "Exporter une liste de locataires de Gesloc vers Excel",
                "j'ai besoin de la liste "
                "des locataires d'un groupe d'immeubles dans Excel pour un courrier",
            ),
            (
                "Gesloc n'imprime plus les avis d'échéance",
                "l'impression des avis d'échéance "
                "depuis Gesloc ne sort rien, sans message d'erreur",
            ),
        ),
        (
            "C'est le cache de Gesloc : ferme l'application, va dans Paramètres > « Vider le "
            "cache local », relance. Depuis je n'ai plus eu le souci.",
            "Les paiements sont intégrés la nuit : le solde n'est à jour que le lendemain "
            "matin. En attendant, l'onglet « Mouvements » montre le paiement en attente.",
            "Dans la liste, bouton « Exporter » en haut à droite, choisis CSV : ça s'ouvre "
            "directement dans Excel avec toutes les colonnes affichées.",
            "Vérifie que l'imprimante par défaut de Gesloc est bien « Suivez-moi » (Fichier > "
            "Configuration de l'impression), la mise à jour l'a remise à zéro chez nous.",
        ),
    ),
    Topic(
        "Applications métier/Dysfonctionnement",
        ("interv", "bon de travaux"),
        (
            (
                "Interv n'envoie pas mes bons clôturés",
                "les bons que je clôture dans Interv "
                "restent avec la petite horloge et ne partent pas",
            ),
            (
                "Interv : la signature du locataire ne s'enregistre pas",
                "le locataire signe sur l'écran mais la signature n'apparaît pas sur le bon",
            ),
            (
                "Interv ne trouve plus ma position",
                "Interv m'affiche à l'agence alors que je "
                "suis sur le site, donc les bons du secteur n'apparaissent pas",
            ),
            (
                "Ajouter une photo à un bon déjà clôturé dans Interv",
                "j'ai oublié une photo sur un bon clôturé ce matin",
            ),
            (
                "Interv tourne en boucle au démarrage",
                "Interv reste sur le logo au démarrage et ne va jamais plus loin",
            ),
        ),
        (
            "Les bons partent quand le téléphone a du réseau : passe par le Wi-Fi de l'agence "
            "ou tire l'écran vers le bas pour forcer la synchronisation.",
            "Il faut autoriser la localisation « Toujours » pour Interv dans les réglages du "
            "téléphone, sinon il garde la dernière position connue.",
            "Un bon clôturé ne se modifie plus : on ajoute un commentaire avec la photo, ou on "
            "demande au chef de secteur de le rouvrir.",
            "Désinstalle et réinstalle Interv depuis le Portail d'entreprise, les bons non "
            "envoyés sont gardés sur le serveur… sauf ceux avec l'horloge, envoie-les avant !",
        ),
    ),
    Topic(
        "Plateformes collaboratives/Teams",
        ("teams",),
        (
            (
                "Teams : on ne m'entend pas en réunion",
                "en réunion Teams personne ne "
                "m'entend alors que le micro marche dans les autres applis",
            ),
            (
                "Teams ne m'affiche plus les messages des canaux",
                "je ne vois plus les nouveaux "
                "messages dans les canaux de l'équipe, seulement les conversations",
            ),
            (
                "Partager un seul écran dans Teams",
                "quand je partage dans Teams, les "
                "participants voient mes deux écrans et tout ce qui traîne",
            ),
            (
                "Teams reste « Absent » alors que je travaille",
                "mon statut Teams passe à "
                "« Absent » au bout de cinq minutes même quand je suis sur le PC",
            ),
        ),
        (
            "Dans Teams : ta photo > Paramètres > Périphériques, et choisis le bon micro (le "
            "casque, pas « Microphone par défaut »). Fais l'appel test pour vérifier.",
            "Clique sur « Partager » puis choisis la fenêtre plutôt que l'écran : ils ne voient "
            "que l'application partagée.",
            "Le statut suit l'activité de Teams lui-même sur le téléphone : si l'appli est "
            "ouverte sur le téléphone, elle peut te mettre Absent. Mets ton statut à la main "
            "avec une durée.",
            "Déconnecte-toi de Teams (ta photo > Se déconnecter) et reconnecte-toi, ça "
            "recharge les canaux. Chez moi c'était ça.",
        ),
    ),
    Topic(
        "Messagerie/Outlook",
        ("outlook",),
        (
            (
                "Outlook ne reçoit plus rien",
                "Outlook n'a rien reçu depuis hier soir alors que les collègues m'ont écrit",
            ),
            (
                "Ma signature Outlook a disparu",
                "ma signature de mail a disparu d'Outlook, avec le logo et le numéro de l'agence",
            ),
            (
                "Boîte aux lettres pleine dans Outlook",
                "Outlook me dit que ma boîte est pleine et je ne peux plus envoyer",
            ),
            (
                "Outlook demande sans arrêt mon mot de passe",
                "une fenêtre me redemande mon mot de passe toutes les heures dans Outlook",
            ),
            (
                "Retrouver un mail supprimé par erreur dans Outlook",
                "j'ai vidé les éléments supprimés et il y avait un mail important d'un locataire",
            ),
        ),
        (
            "Regarde en bas à droite d'Outlook : s'il est écrit « Déconnecté » ou « Travailler "
            "hors connexion », clique sur Envoi/Réception > Travailler hors connexion pour le "
            "désactiver.",
            "Clic droit sur « Éléments supprimés » > « Récupérer les éléments supprimés » : on "
            "peut revenir 30 jours en arrière.",
            "Archive tes vieux mails : Fichier > Outils > Nettoyer les anciens éléments, ou "
            "vide le dossier « Éléments envoyés » des pièces jointes lourdes.",
            "La signature est dans Fichier > Options > Courrier > Signatures. Le modèle "
            "officiel est sur Le Fil, rubrique Communication.",
        ),
    ),
    Topic(
        "Connexion & VPN/VPN",
        ("vpn", "forticlient"),
        (
            (
                "FortiClient reste bloqué à 98 %",
                "le VPN FortiClient monte jusqu'à 98 % puis revient à zéro",
            ),
            (
                "Le VPN coupe dès que j'ouvre Gesloc",
                "dès que j'ouvre Gesloc à la maison le VPN FortiClient se déconnecte",
            ),
            (
                "FortiClient me demande un code que je n'ai pas",
                "FortiClient me demande un "
                "code de validation et je ne reçois rien sur le téléphone",
            ),
            (
                "Pas d'accès au S: en télétravail",
                "le VPN est connecté mais le lecteur S: reste avec une croix rouge",
            ),
        ),
        (
            "À 98 %, c'est souvent la connexion de la box : redémarre la box (pas seulement le "
            "PC) et réessaie. Sinon partage la 4G du téléphone pour tester.",
            "Le lecteur S: se reconnecte après la connexion du VPN : double-clique dessus dans "
            "l'explorateur, il se remet en place au bout de quelques secondes.",
            "Le code arrive dans l'appli Authenticator, pas par SMS : ouvre l'appli sur le "
            "téléphone pro, le code y est.",
            "Vérifie que tu as la dernière version de FortiClient (Portail d'entreprise > "
            "FortiClient > Mettre à jour), l'ancienne coupait avec les gros fichiers.",
        ),
    ),
    Topic(
        "Impression/Imprimante",
        ("impression", "copieur"),
        (
            (
                "Le copieur refuse mon badge",
                "quand je passe mon badge sur le copieur il affiche « Utilisateur inconnu »",
            ),
            (
                "Mes impressions sortent en noir et blanc",
                "tout sort en noir et blanc alors que j'ai choisi la couleur",
            ),
            (
                "Imprimer en recto verso par défaut",
                "je voudrais que tout sorte en recto verso sans le choisir à chaque fois",
            ),
            (
                "Le scan vers mon mail n'arrive pas",
                "je scanne vers « Mon adresse » sur le copieur et je ne reçois rien",
            ),
        ),
        (
            "Un nouveau badge doit être associé une fois : sur le copieur, « Enregistrer le "
            "badge » puis ton identifiant Windows et ton mot de passe.",
            "La couleur est réservée par défaut : il faut la demander à ton responsable, qui "
            "valide dans le formulaire « Droits d'impression ».",
            "Panneau de configuration > Périphériques > clic droit sur « Suivez-moi » > "
            "Options d'impression > Recto verso. Ça devient la valeur par défaut.",
            "Regarde dans les courriers indésirables, les scans arrivent de « scanner@ » et "
            "Outlook les classe parfois là.",
        ),
    ),
    Topic(
        "Téléphonie/Téléphone mobile",
        ("smartphone", "téléphone"),
        (
            (
                "Le téléphone pro ne charge plus",
                "mon téléphone pro ne charge plus, ou alors "
                "seulement si je tiens le câble d'une certaine façon",
            ),
            (
                "Installer une appli sur le téléphone pro",
                "je voudrais installer l'appli de "
                "la banque pour les cautions, elle n'est pas dans le Portail d'entreprise",
            ),
            (
                "Plus de messagerie vocale sur le portable",
                "quand on m'appelle et que je ne "
                "réponds pas, ça coupe au lieu d'aller sur la messagerie",
            ),
            (
                "Transférer mes contacts sur le nouveau téléphone",
                "je change de téléphone pro "
                "et j'ai peur de perdre mes contacts de gardiens et d'entreprises",
            ),
        ),
        (
            "Souvent c'est la prise encrassée : souffle dedans ou enlève la poussière avec un "
            "cure-dent en bois, téléphone éteint. Ça m'a sauvé le mien.",
            "Les contacts sont dans Outlook s'ils ont été créés dans l'appli Contacts du compte "
            "pro : ils reviennent tout seuls sur le nouveau téléphone.",
            "Compose *#62# pour voir vers où partent les appels non répondus ; le 4000 peut "
            "remettre la messagerie vocale.",
            "Les applis hors du Portail d'entreprise se demandent au service informatique avec "
            "une demande « Installation de logiciel », ils vérifient et l'ajoutent.",
        ),
    ),
    Topic(
        "Accès & mots de passe/Mot de passe oublié ou expiré",
        ("mot de passe", "compte"),
        (
            (
                "Mon compte est bloqué tous les matins",
                "tous les matins mon compte Windows est bloqué et je dois appeler le 4000",
            ),
            (
                "Changer mon mot de passe depuis la maison",
                "mon mot de passe expire dans trois "
                "jours et je suis en télétravail toute la semaine",
            ),
            (
                "Mot de passe oublié un samedi d'astreinte",
                "je suis d'astreinte ce week-end et j'ai oublié mon mot de passe",
            ),
        ),
        (
            "Un compte bloqué chaque matin, c'est presque toujours un vieil appareil (tablette, "
            "ancien téléphone) qui essaie l'ancien mot de passe. Déconnecte-le.",
            "Avec le VPN connecté : Ctrl + Alt + Suppr > « Modifier un mot de passe ». Ensuite "
            "verrouille la session et déverrouille avec le nouveau.",
            "La page « Mot de passe oublié » du portail marche aussi le week-end, avec le code "
            "reçu sur le téléphone pro.",
        ),
    ),
    Topic(
        "Poste de travail/Ordinateur portable",
        ("écran", "dock"),
        (
            (
                "Mon deuxième écran reste noir",
                "mon deuxième écran reste noir sur la station d'accueil du bureau partagé",
            ),
            (
                "Le portable ne démarre plus après la mise à jour",
                "mon portable affiche un écran noir avec le curseur après la mise à jour d'hier",
            ),
            (
                "Le clavier tape des chiffres à la place des lettres",
                "mon clavier de portable tape des chiffres quand j'appuie sur certaines lettres",
            ),
        ),
        (
            "Débranche la station d'accueil, attends dix secondes, rebranche-la, puis "
            "Windows + P > « Étendre ». C'est souvent ça.",
            "C'est le pavé numérique intégré : appuie sur Fn + Verr Num (ou Fn + F11 selon le "
            "modèle) pour le désactiver.",
            "Laisse-le branché et allumé une heure : la mise à jour finit parfois en tâche de "
            "fond. Sinon maintiens le bouton 10 secondes et redémarre.",
        ),
    ),
    Topic(
        "Plateformes collaboratives/Partage de fichiers",
        ("onedrive", "partage"),
        (
            (
                "OneDrive ne synchronise plus",
                "l'icône OneDrive a une croix rouge et mes fichiers ne se synchronisent plus",
            ),
            (
                "Récupérer une ancienne version d'un fichier Excel",
                "un collègue a écrasé le tableau des astreintes, on voudrait la version d'hier",
            ),
            (
                "Partager un dossier avec le syndic",
                "je dois partager les comptes rendus avec un syndic extérieur",
            ),
        ),
        (
            "Clic droit sur le fichier > « Historique des versions » : tu choisis celle d'hier "
            "et « Restaurer ». Ça marche sur OneDrive et SharePoint.",
            "Clic sur l'icône OneDrive > Aide et paramètres > Suspendre puis Reprendre la "
            "synchronisation. Si la croix reste, un nom de fichier a un caractère interdit.",
            "Partage avec « Les personnes que vous choisissez » et mets une date d'expiration : "
            "le syndic reçoit un lien et un code.",
        ),
    ),
]
ASKERS = (
    "Je suis gardien à la résidence {place}",
    "Je suis gardienne aux {place}",
    "Je suis en tournée sur le secteur {place}",
    "Je suis chargée de clientèle à l'agence {agency}",
    "Je travaille au siège, au service {service}",
    "Je suis technicien de secteur, agence {agency}",
    "Au service {service}, on a tous le souci",
    "Je suis en télétravail aujourd'hui",
)
PLACES = ("Olympiades", "Tilleuls", "Bellevue", "Moulin Vert", "Peupliers", "Saint-Exupéry")
AGENCIES = ("Nord", "Sud", "Est", "Ouest", "Centre")
SERVICES = ("gestion locative", "comptabilité", "contentieux", "patrimoine", "RH", "accueil")
WHEN = (
    "depuis ce matin",
    "depuis la mise à jour de lundi",
    "une fois sur deux",
    "depuis que j'ai changé de bureau",
    "depuis hier",
    "seulement en télétravail",
)
TITLE_SUFFIX = (
    "",
    " depuis ce matin",
    " en télétravail",
    " depuis la mise à jour",
    " (urgent)",
    " à l'agence",
    " au siège",
    " depuis hier",
    " sur le nouveau portable",
    " : normal ?",
)
TRIED = (
    "J'ai déjà redémarré le PC.",
    "J'ai redémarré le téléphone, sans changement.",
    "Un collègue a le même problème.",
    "",
)
CLOSINGS = (
    "Quelqu'un a une astuce ?",
    "Merci d'avance !",
    "Vous avez le même souci ?",
    "Je ne sais pas si je dois ouvrir une demande…",
)
OPENINGS = ("Bonjour,", "Bonjour à tous,", "Hello,", "Bonjour l'équipe,")
ALSO = (
    "Même problème ici la semaine dernière, la réponse au-dessus a marché pour moi.",
    "Si rien ne marche, appelle le 4000 : ils prennent la main à distance.",
    "Pense à noter l'heure exacte et le message d'erreur, ça aide le support.",
    "Chez nous à l'agence c'est revenu tout seul le lendemain, mais ce n'est pas une solution…",
)
AS_IT = (
    "Bonjour, c'est le support informatique : le problème est connu et un correctif est en "
    "cours de déploiement. En attendant, la manipulation ci-dessus fonctionne.",
    "Bonjour, support informatique : si le souci persiste après ces conseils, ouvrez une "
    "demande depuis le portail, nous regarderons votre poste.",
)


def _generated_threads(ctx: DemoContext, count: int) -> list[tuple[Topic, str, str, str]]:
    """`count` distinct (topic, problem title, title suffix, body) from the building blocks."""
    combos = [
        (topic, problem, suffix)
        for topic in TOPICS
        for problem in topic.problems
        for suffix in TITLE_SUFFIX[1:]
    ]
    plain = [(topic, problem, "") for topic in TOPICS for problem in topic.problems]
    chosen = plain + ctx.rng.sample(combos, min(len(combos), max(0, count - len(plain))))
    ctx.rng.shuffle(chosen)
    threads = []
    for topic, (title, happening), suffix in chosen[:count]:
        asker = ctx.rng.choice(ASKERS).format(
            place=ctx.rng.choice(PLACES),
            agency=ctx.rng.choice(AGENCIES),
            service=ctx.rng.choice(SERVICES),
        )
        body = " ".join(
            part
            for part in (
                ctx.rng.choice(OPENINGS),
                f"{asker}.",
                f"{happening[0].upper()}{happening[1:]}, {ctx.rng.choice(WHEN)}.",
                ctx.rng.choice(TRIED),
                ctx.rng.choice(CLOSINGS),
            )
            if part
        )
        threads.append((topic, title, suffix, body))
    return threads


def _seed_generated(
    ctx: DemoContext, people: list[User], desk: list[User], categories: dict[str, Category]
) -> tuple[int, int, int, int]:
    """The composed threads: answers from other members (now and then the desk, as IT),
    votes on questions and answers, an acceptance on most; then dated over 120 days."""
    count = round(GENERATED * ctx.scale)
    questions = answers = accepted = votes = 0
    now = timezone.now()
    question_dates: list[Question] = []
    answer_dates: list[Answer] = []
    moderator = User.objects.filter(role__in=[Role.ADMIN, Role.SUPERVISOR], is_active=True).first()
    originals: dict[str, Question] = {}
    duplicates: list[tuple[Question, Question]] = []
    for topic, problem, suffix, body in _generated_threads(ctx, count):
        title = f"{problem}{suffix}"
        author = ctx.rng.choice(people)
        question = question_ask(
            author=author,
            title=title,
            body=body,
            tags=(*topic.tags, *ctx.rng.sample(("agence", "gardien", "télétravail", "siège"), 1)),
            category=_category(topic.category, categories),
        )
        questions += 1
        asked = now - timedelta(days=ctx.rng.uniform(0.5, 120))
        others = [u for u in ctx.rng.sample(people, 12) if u.pk != author.pk]
        roll = ctx.rng.random()
        n_answers = 0 if roll < 0.1 else 1 if roll < 0.45 else 2 if roll < 0.85 else 3
        fixes = ctx.rng.sample(topic.fixes, min(len(topic.fixes), n_answers))
        posted = []
        for index, text in enumerate(fixes):
            if index == 2 and ctx.rng.random() < 0.4:
                posted.append(
                    answer_post(question=question, author=desk[0], body=AS_IT[0], as_it=True)
                    if desk
                    else answer_post(question=question, author=others[index], body=text)
                )
                continue
            posted.append(
                answer_post(
                    question=question,
                    author=others[index],
                    body=text if index < 2 else ctx.rng.choice(ALSO),
                )
            )
        answers += len(posted)
        voters = others[3:]
        for voter in ctx.rng.sample(voters, ctx.rng.randint(0, 1)):
            vote_cast(actor=voter, question=question, value=1)
            votes += 1
        for answer in posted:
            for voter in ctx.rng.sample(voters, ctx.rng.randint(0, 2)):
                if voter.pk != answer.author_id:
                    vote_cast(actor=voter, answer=answer, value=ctx.rng.choice((1, 1, 1, 1, -1)))
                    votes += 1
        if posted and not posted[0].as_it and ctx.rng.random() < 0.7:
            answer_accept(answer=posted[0], actor=author)
            accepted += 1
        question.created_at = asked
        question.last_activity_at = asked + timedelta(hours=ctx.rng.uniform(1, 48))
        question_dates.append(question)
        # The same problem asked again: moderators close it as a duplicate of the first one,
        # which keeps the answers of both and leaves one entry in the search.
        if problem in originals:
            duplicates.append((question, originals[problem]))
        else:
            originals[problem] = question
        for index, answer in enumerate(posted):
            answer.created_at = asked + timedelta(hours=ctx.rng.uniform(0.2, 4) * (index + 1))
            answer_dates.append(answer)
    if moderator is not None:
        for duplicate, original in duplicates:
            question_close_duplicate(question=duplicate, original=original, actor=moderator)
    # The services date everything now; the generated threads spread over the last months
    # (before the hand-written ones, which stay the newest).
    Question.objects.bulk_update(question_dates, ["created_at", "last_activity_at"], 500)
    Answer.objects.bulk_update(answer_dates, ["created_at"], 500)
    Question.objects.filter(
        pk__in=[q.pk for q in question_dates], accepted_at__isnull=False
    ).update(accepted_at=F("last_activity_at"))
    # Acceptances moved to past months: the monthly points and reputations are recounted
    # from the rows (past months then show on the leaderboard).
    points_rebuild()
    return questions, answers, accepted, votes


def _category(path: str, cache: dict[str, Category]) -> Category:
    if path not in cache:
        root, _sep, child = path.partition("/")
        parent = Category.objects.get(name=root, parent__isnull=True)
        cache[path] = parent if not child else Category.objects.get(name=child, parent=parent)
    return cache[path]


def _discuss(ctx: DemoContext, thread: Thread, question: Question, people: list[User]) -> int:
    helpers = ctx.rng.sample([u for u in people if u.pk != question.author_id], 3)
    answers = [
        answer_post(question=question, author=helper, body=body)
        for helper, body in zip(helpers, thread.answers, strict=False)
    ]
    if thread.accepted is not None:
        answer_accept(answer=answers[thread.accepted], actor=question.author)
    # A few colleagues found it useful.
    voters = [
        u
        for u in ctx.rng.sample(people, 6)
        if u.pk not in {question.author_id, *(h.pk for h in helpers)}
    ]
    for voter in voters[:2]:
        vote_cast(actor=voter, question=question, value=1)
    for answer in answers:
        for voter in ctx.rng.sample(voters, min(len(voters), ctx.rng.randint(0, 3))):
            vote_cast(actor=voter, answer=answer, value=1)
    return len(answers)


def seed(ctx: DemoContext) -> str:
    people = [u for u in ctx.data["users"] if u.is_active and u.role == Role.COLLABORATOR]
    desk = [u for u in ctx.data["users"] if u.is_active and u.role == Role.AGENT]
    # The demo collaborator login asks the first questions, so that they show on their page.
    demo_login = next(u for u in people if u.email == "collaborateur@relais.test")
    # The demo colleagues joined the community weeks ago (no new-member posting limit).
    for person in people:
        member_join(user=person)
    Member.objects.filter(pk__in=[p.pk for p in people]).update(
        joined_at=timezone.now() - timedelta(days=60)
    )
    categories: dict[str, Category] = {}
    # The composed threads first: the hand-written ones are the newest. They notify in the
    # app only: months of past threads would fill the outbox with e-mails (and take time).
    members = Member.objects.filter(pk__in=[p.pk for p in people])
    members.update(email_notifications=False)
    questions, answers, accepted, _votes = _seed_generated(ctx, people, desk, categories)
    members.update(email_notifications=True)
    for index, thread in enumerate(THREADS):
        question = question_ask(
            author=demo_login if index < 2 else ctx.rng.choice(people),
            title=thread.title,
            body=thread.body,
            tags=thread.tags,
            category=_category(thread.category, categories),
        )
        answers += _discuss(ctx, thread, question, people)
        accepted += thread.accepted is not None
    questions += len(THREADS)
    unanswered = Question.objects.filter(answer_count=0).count()
    return (
        f"{questions} questions, {answers} answers ({accepted} accepted, "
        f"{unanswered} unanswered), {Vote.objects.count()} votes"
    )
