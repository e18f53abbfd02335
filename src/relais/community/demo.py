"""Demo peer help: questions asked by staff, answered by colleagues (French content); most
have an answer accepted by the asker, a few wait for one."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from django.utils import timezone

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.community.models import Member, Question
from relais.community.services import answer_accept, answer_post, member_join, question_ask
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
    return len(answers)


def seed(ctx: DemoContext) -> str:
    people = [u for u in ctx.data["users"] if u.is_active and u.role == Role.COLLABORATOR]
    # The demo collaborator login asks the first questions, so that they show on their page.
    demo_login = next(u for u in people if u.email == "collaborateur@relais.test")
    # The demo colleagues joined the community weeks ago (no new-member posting limit).
    for person in people:
        member_join(user=person)
    Member.objects.filter(pk__in=[p.pk for p in people]).update(
        joined_at=timezone.now() - timedelta(days=60)
    )
    categories: dict[str, Category] = {}
    answers = accepted = 0
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
    unanswered = sum(not t.answers for t in THREADS)
    return (
        f"{len(THREADS)} questions, {answers} answers ({accepted} accepted, "
        f"{unanswered} unanswered)"
    )
