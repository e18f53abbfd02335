"""Demo knowledge base: ~30 articles as the service desk would write them (French content),
with a few drafts, articles in review, an archived one, internal procedures for the desk,
related articles, readers' feedback and views."""

from __future__ import annotations

from datetime import timedelta
from typing import NamedTuple

from django.utils import timezone

from relais.accounts.choices import Role
from relais.accounts.models import User
from relais.core.demo import DemoContext
from relais.kb.models import Article, ArticleState, Audience
from relais.kb.services import (
    ArticleDraft,
    article_create,
    article_feedback,
    article_move,
    article_update,
    article_viewed,
)
from relais.tickets.models import Category


class Spec(NamedTuple):
    key: str
    category: str  # "Root" or "Root/Child", as seeded by tickets migration 0002
    title: str
    tags: tuple[str, ...]
    body: str
    audience: str = Audience.EVERYONE
    state: str = ArticleState.PUBLISHED  # ARCHIVED: published first, then archived


# --- Published, for everyone -------------------------------------------------------------

VPN_HOME = """Le VPN (FortiClient) relie votre ordinateur portable au réseau de l'office depuis
chez vous : il est indispensable pour Gesloc, les lecteurs réseau et Le Fil.

## Se connecter

1. Branchez-vous à votre box (câble ou Wi-Fi) et vérifiez qu'Internet fonctionne, par
   exemple en ouvrant un site public.
2. Ouvrez **FortiClient VPN** (icône du bouclier dans la barre des tâches, en bas à droite).
3. Choisissez la connexion **VPN Relais**, saisissez votre identifiant Windows
   (prenom.nom) et votre mot de passe habituel.
4. Validez la notification sur votre téléphone (Microsoft Authenticator).
5. Attendez le message « Connecté » : le bouclier devient vert. Comptez 20 secondes.

## Si cela ne marche pas

- **« Identifiants incorrects »** : votre mot de passe a peut-être expiré, voir l'article
  sur le changement de mot de passe.
- **Rien ne se passe après la saisie** : vérifiez que la notification MFA est bien arrivée
  sur le téléphone ; sinon, ouvrez l'application Authenticator.
- **Connexion depuis un hôtel ou une gare** : certains Wi-Fi publics bloquent le VPN ;
  utilisez le partage de connexion de votre smartphone professionnel.

Déconnectez le VPN en fin de journée (clic droit sur le bouclier, « Déconnecter »).
Problème persistant : appelez le 4000 en précisant le message affiché.
"""

VPN_DROPS = """Le VPN se coupe toutes les dix minutes, ou affiche « serveur VPN injoignable » ?
Dans la plupart des cas, la cause est la connexion Internet du domicile, pas le VPN.

1. **Testez votre connexion** sans VPN : si les sites sont lents ou coupent, redémarrez la
   box (débranchez-la 30 secondes).
2. **Rapprochez-vous de la box** ou branchez un câble réseau : en Wi-Fi, à travers deux
   murs, la connexion décroche et le VPN avec elle.
3. **Quittez les téléchargements lourds** (streaming, consoles de jeu, sauvegardes) pendant
   vos visioconférences.
4. **Redémarrez le portable** (Démarrer > Marche/Arrêt > Redémarrer, pas simplement
   « Arrêter ») : cela relance le service FortiClient.
5. Si le message « serveur injoignable » persiste, vérifiez la date et l'heure du poste :
   un écart de plus de cinq minutes fait échouer le certificat.
6. Essayez depuis le partage de connexion de votre smartphone professionnel : si le VPN
   tient, le problème vient de la box ou de l'opérateur.

Si le VPN coupe toujours, appelez le 4000 ou ouvrez un ticket en indiquant : l'heure des
coupures, votre opérateur (Orange, Free, SFR, Bouygues…), Wi-Fi ou câble, et le message
exact affiché par FortiClient. Le centre de services vérifiera votre jeton et les journaux
du pare-feu.
"""

LOGIN_CHANGE = """Votre mot de passe Windows expire tous les 90 jours. Windows vous prévient
14 jours avant : profitez-en, c'est plus simple que d'attendre l'expiration.

## Changer son mot de passe (au bureau ou avec le VPN connecté)

1. Appuyez sur **Ctrl + Alt + Suppr** puis choisissez **Modifier un mot de passe**.
2. Saisissez l'ancien mot de passe, puis deux fois le nouveau.
3. Verrouillez la session (touche Windows + L) et reconnectez-vous avec le nouveau.
4. Sur votre smartphone professionnel, Outlook et Teams redemandent le mot de passe dans
   l'heure : saisissez le nouveau.

## Règles

- Au moins 12 caractères, avec trois types parmi majuscules, minuscules, chiffres et
  caractères spéciaux ;
- différent des 10 derniers ;
- astuce : une phrase facile à retenir (« Mon chat dort 3 fois par jour ! »).

## Mot de passe déjà expiré en télétravail

Le VPN refuse la connexion avec un mot de passe expiré. Utilisez le portail
« Mot de passe oublié » (voir l'article dédié) depuis votre téléphone, puis connectez le
VPN avec le nouveau mot de passe et verrouillez/déverrouillez la session pour que Windows
le prenne en compte.

Ne communiquez jamais votre mot de passe, même au centre de services : nous ne le
demandons jamais.
"""

LOGIN_FORGOT = """Mot de passe oublié, ou compte verrouillé après plusieurs erreurs ?
Vous pouvez le réinitialiser vous-même, 24 h/24, sans appeler le centre de services.

## Réinitialiser en libre-service

1. Sur l'écran de connexion Windows, cliquez sur **Mot de passe oublié ?** (ou, depuis un
   téléphone, ouvrez le portail de réinitialisation indiqué sur Le Fil).
2. Saisissez votre adresse prenom.nom@… et les caractères affichés.
3. Validez avec la méthode enregistrée : notification Authenticator ou code reçu par SMS.
4. Choisissez un nouveau mot de passe (12 caractères minimum).
5. Patientez deux minutes puis connectez-vous. Le compte est déverrouillé en même temps.

## Compte verrouillé

Après 5 erreurs, le compte se verrouille 15 minutes. Souvent, c'est un ancien mot de passe
resté enregistré sur le smartphone (Outlook, Wi-Fi) qui le bloque : mettez-le à jour
partout après un changement.

## Si le libre-service ne fonctionne pas

Si vous n'avez jamais enregistré de méthode de vérification, ou si vous avez changé de
téléphone, appelez le **4000**. Pour vérifier votre identité, l'agent vous posera des
questions (matricule, responsable, site) et vous donnera un mot de passe temporaire, à
changer dès la première connexion.
"""

MFA_NEW_PHONE = """La double authentification (MFA) vous demande de valider chaque connexion
sur votre téléphone. Si vous changez de téléphone, il faut la réinstaller **avant** de
rendre ou réinitialiser l'ancien, si possible.

## Vous avez encore l'ancien téléphone

1. Sur le nouveau téléphone, installez **Microsoft Authenticator** (App Store ou Play
   Store ; sur un smartphone professionnel, depuis le Portail d'entreprise).
2. Sur un ordinateur, ouvrez la page **Mes informations de sécurité** (lien sur Le Fil,
   rubrique « Mon compte »).
3. Cliquez sur **Ajouter une méthode de connexion** > **Application d'authentification**
   et scannez le QR code avec le nouveau téléphone.
4. Validez la notification de test, puis définissez la nouvelle application comme
   méthode par défaut.
5. Supprimez l'ancien téléphone de la liste.

## Vous n'avez plus l'ancien téléphone (perte, vol, panne)

Appelez le **4000**. Après vérification de votre identité, l'agent réinitialise vos
méthodes MFA ; à la prochaine connexion, vous serez invité à enregistrer le nouveau
téléphone (étapes 1 à 4). En cas de vol d'un smartphone professionnel, signalez-le aussi
pour que nous le bloquions à distance.

Astuce : ajoutez votre numéro de mobile comme méthode de secours (SMS), cela évite d'être
bloqué un jour de panne.
"""

OUTLOOK_OPEN = """Outlook reste bloqué sur « Chargement du profil », se ferme tout seul ou
affiche « Impossible de démarrer Microsoft Outlook » ? Suivez ces étapes dans l'ordre.

1. **Fermez Outlook complètement** : clic droit sur la barre des tâches > Gestionnaire des
   tâches, sélectionnez Outlook et cliquez sur **Fin de tâche**.
2. **Redémarrez l'ordinateur**, puis relancez Outlook seul (sans Teams ouvert).
3. **En télétravail**, vérifiez que le VPN est connecté ou que vous avez bien Internet :
   Outlook peut démarrer sans VPN, mais pas sans connexion.
4. **Démarrez en mode sans échec** : touche Windows + R, tapez `outlook.exe /safe` et
   validez. Si Outlook s'ouvre, un complément est en cause : Fichier > Options >
   Compléments > Gérer les compléments COM, décochez-les puis réactivez-les un à un.
5. Essayez la **messagerie en ligne** (Outlook sur le web, lien sur Le Fil) : vos mails y
   sont tous. Vous pouvez continuer à travailler en attendant.

Si Outlook ne démarre toujours pas, appelez le 4000 ou ouvrez un ticket « Messagerie >
Outlook » avec une capture du message. L'agent pourra recréer votre profil Outlook à
distance : vos mails, contacts et calendrier sont sur le serveur, rien n'est perdu.
"""

MAILBOX_FULL = """Le message « Votre boîte aux lettres est presque pleine » apparaît ? Au-delà
de la limite (50 Go), vous ne pouvez plus envoyer, puis plus recevoir de mails.

## Voir ce qui prend de la place

1. Dans Outlook, **Fichier > Outils > Nettoyage de boîte aux lettres** >
   **Afficher la taille de la boîte aux lettres**.
2. Repérez les dossiers les plus lourds (souvent « Éléments envoyés » et les pièces
   jointes).

## Libérer de l'espace

1. Videz **Éléments supprimés** (clic droit > Vider le dossier) : tant qu'il n'est pas
   vidé, rien n'est libéré.
2. Dans la barre de recherche, tapez `taille:>5Mo` pour trouver les mails les plus
   volumineux ; enregistrez les pièces jointes utiles sur OneDrive ou le lecteur réseau
   puis supprimez les mails.
3. Supprimez les newsletters et notifications anciennes (triez par expéditeur).
4. Videz le dossier **Courrier indésirable**.
5. Vérifiez aussi votre **archive en ligne** : les mails de plus de deux ans y sont
   déplacés automatiquement et ne comptent pas dans la limite.

Ne créez pas de fichiers PST sur le poste : ils ne sont pas sauvegardés et se perdent au
changement d'ordinateur. Si la boîte est pleine pour une raison métier (boîte d'agence
très sollicitée), ouvrez une demande « Messagerie » : le centre de services étudiera un
quota plus grand.
"""

SHARED_MAILBOX = """Les boîtes partagées (agence, service, accueil…) sont accessibles aux
membres de l'équipe, sans mot de passe séparé : les droits sont donnés à votre compte.

## Demander l'accès

1. Ouvrez une demande « Messagerie > Boîte partagée » sur Relais en indiquant le nom de
   la boîte (par exemple *agence.nord@…*).
2. L'accord de votre responsable est demandé automatiquement ; comptez une journée.

## L'afficher dans Outlook

1. Une fois les droits donnés, **fermez et rouvrez Outlook** : la boîte apparaît seule
   dans le volet de gauche, sous votre boîte, dans l'heure qui suit.
2. Si elle n'apparaît pas : **Fichier > Paramètres du compte > Paramètres du compte** >
   double-clic sur votre adresse > **Paramètres supplémentaires** > onglet **Avancé** >
   **Ajouter**, tapez le nom de la boîte.
3. Dans Outlook sur le web : clic droit sur « Dossiers » > **Ajouter un dossier
   partagé ou une boîte aux lettres partagée**.

## Envoyer au nom de la boîte

Dans un nouveau mail, **Options > Afficher le champ De**, puis choisissez l'adresse de la
boîte. Les mails envoyés sont rangés dans les « Éléments envoyés » de la boîte partagée.

Sur le smartphone, l'application Outlook permet d'ajouter la boîte partagée : Paramètres >
votre compte > **Ajouter une boîte aux lettres partagée**.
"""

OUT_OF_OFFICE = """Avant un congé, activez la réponse automatique : vos correspondants
(locataires, prestataires, collègues) savent qui contacter pendant votre absence.

## Dans Outlook sur l'ordinateur

1. Cliquez sur **Fichier > Réponses automatiques**.
2. Cochez **Envoyer des réponses automatiques**, puis **Envoyer uniquement pendant cette
   période** et indiquez vos dates de départ et de retour.
3. Dans l'onglet **Dans mon organisation**, écrivez le message pour vos collègues.
4. Dans l'onglet **En dehors de mon organisation**, cochez la case et écrivez un message
   plus sobre pour l'extérieur.
5. Cliquez sur **OK** : un bandeau jaune le rappelle dans Outlook.

## Depuis le téléphone ou Outlook sur le web

Dans l'application Outlook : Paramètres > votre compte > **Réponses automatiques**. Sur
le web : roue crantée > **Courrier > Réponses automatiques**.

## Exemple de message

> Bonjour, je suis absent(e) du 4 au 15 août inclus. Pour toute demande urgente
> concernant l'agence Nord, merci d'écrire à agence.nord@… ou d'appeler l'accueil de
> l'agence. Cordialement.

Vous avez oublié avant de partir ? Activez-la depuis votre téléphone. Le centre de
services ne peut pas l'activer à votre place sans l'accord de votre responsable.
"""

TEAMS_AUDIO_VIDEO = """Vos interlocuteurs ne vous entendent pas, vous n'entendez rien, ou
votre caméra reste noire dans Teams ? Vérifiez dans cet ordre.

1. **Le bon périphérique** : en réunion, cliquez sur **Plus (…) > Paramètres
   de l'appareil** et choisissez votre casque pour le haut-parleur *et* le micro. Quand
   on branche un casque, Teams garde parfois le micro du portable.
2. **Le micro coupé** : vérifiez l'icône micro dans Teams, mais aussi le bouton sur le
   câble du casque et la touche micro du clavier (voyant allumé = coupé).
3. **La caméra** : certains portables ont un volet qui cache l'objectif, ou une touche
   caméra (F8 ou F10 selon le modèle). Fermez les autres applications qui l'utilisent.
4. **Un appel de test** : Paramètres de Teams > **Appareils** > **Passer un appel test** :
   vous entendez votre enregistrement ? Le matériel fonctionne.
5. **Quittez Teams complètement** (clic droit sur l'icône Teams près de l'horloge >
   Quitter) et relancez-le. Débranchez puis rebranchez le casque USB, directement sur le
   portable plutôt que sur la station d'accueil.
6. Toujours rien ? Redémarrez l'ordinateur.

En dépannage immédiat, rejoignez la réunion depuis l'application Teams du smartphone.
Si un casque est défectueux, faites une demande de matériel : nous le remplaçons.
"""

TEAMS_SCREEN = """Pour montrer un document ou une application pendant une réunion Teams :

1. Dans la barre de la réunion, cliquez sur **Partager** (flèche dans un carré).
2. Choisissez **Fenêtre** pour ne partager qu'une application (recommandé : vos mails et
   notifications restent privés) ou **Écran** pour tout l'écran.
3. Un cadre rouge entoure ce que les participants voient.
4. Pour montrer une vidéo, activez **Inclure le son de l'ordinateur** avant de partager.
5. Pour arrêter, cliquez sur **Arrêter le partage** en haut de l'écran.

## Problèmes fréquents

- **Le bouton Partager est grisé** : l'organisateur a limité le partage aux
  présentateurs. Demandez-lui de vous nommer présentateur (Participants > … > Faire de
  cette personne un présentateur).
- **Les participants voient un écran noir** : c'est souvent une application protégée
  (Gesloc via Citrix, vidéo protégée). Partagez l'écran entier plutôt que la fenêtre.
- **Avec deux écrans**, Teams propose chaque écran : choisissez celui où se trouve le
  document.
- **Partage saccadé en télétravail** : coupez votre caméra pendant le partage, cela
  libère de la bande passante.

Pour donner la main à un collègue sur votre écran, cliquez sur **Donner le contrôle**
dans la barre de partage ; vous pouvez la reprendre à tout moment.
"""

PRINT_BADGE = """Au siège et dans les agences, les impressions sont sécurisées : vous
imprimez sur la file **Suivez-moi**, puis récupérez vos documents sur n'importe quel
copieur en passant votre badge. Rien ne traîne sur les imprimantes.

## Imprimer

1. Dans votre application, **Fichier > Imprimer** et choisissez l'imprimante
   **Suivez-moi** (elle est installée sur tous les postes).
2. Réglez recto verso et noir et blanc (réglages par défaut) ou couleur si nécessaire.
3. Allez au copieur de votre choix et **posez votre badge** sur le lecteur.
4. Sélectionnez vos documents et appuyez sur **Imprimer**. Les documents non imprimés
   sont supprimés au bout de 24 heures.

## Première utilisation

Le copieur ne reconnaît pas encore votre badge : il demande votre identifiant et votre
mot de passe Windows. Après les avoir saisis, le badge est associé à votre compte.

## Problèmes fréquents

- **« Badge inconnu »** après un changement de badge : saisissez identifiant et mot de
  passe pour associer le nouveau badge.
- **Aucun document dans la liste** : vérifiez que vous avez bien choisi Suivez-moi, et,
  en télétravail, que le VPN était connecté au moment d'imprimer.
- **Bourrage papier** ou toner vide : le numéro de la machine est sur l'étiquette ;
  ouvrez un ticket « Impression » avec ce numéro.
"""

WIFI = """Deux réseaux Wi-Fi sont diffusés au siège et dans les agences :

- **RELAIS-PRO** : pour les ordinateurs portables de l'office ; il se connecte seul, sans
  mot de passe, et donne accès aux applications sans VPN.
- **RELAIS-INVITES** : pour les visiteurs et les appareils personnels, avec un code
  valable une journée, délivré par l'accueil. Accès à Internet seulement.

## Mon portable ne se connecte pas à RELAIS-PRO

1. Vérifiez que le Wi-Fi est activé (icône en bas à droite ; mode Avion désactivé).
2. Cliquez sur **RELAIS-PRO** > **Se connecter**. Ne saisissez pas votre mot de passe :
   la connexion utilise le certificat de l'ordinateur.
3. Si une fenêtre demande un mot de passe, annulez et redémarrez l'ordinateur *branché
   au réseau par câble* ou avec le VPN : cela renouvelle le certificat.
4. Toujours rien ? Clic droit sur RELAIS-PRO > **Oublier**, puis reconnectez-vous.

## Le Wi-Fi est lent ou coupe

Rapprochez-vous de la borne (souvent au plafond des couloirs). Si tous les collègues de
l'agence sont touchés, c'est une panne : appelez le **4000** en indiquant le site et
l'étage, l'équipe Réseau intervient à distance.

Smartphones professionnels : ils utilisent la 4G/5G, pas le Wi-Fi de l'office.
"""

DOCK = """La station d'accueil (dock USB-C) relie votre portable aux écrans, au clavier, à
la souris, au réseau filaire et à l'alimentation avec un seul câble.

## Les écrans restent noirs

1. Vérifiez que le câble USB-C est **bien enfoncé sur le port marqué d'un éclair ou d'un
   écran** du portable (l'autre port USB-C ne transmet pas l'image).
2. Contrôlez que les écrans sont allumés et sur la bonne source (bouton **Input** sur
   l'écran : DisplayPort ou HDMI).
3. Débranchez le dock de la prise électrique 30 secondes, rebranchez, puis reconnectez
   le portable.
4. Appuyez sur **touche Windows + P** et choisissez **Étendre**.
5. Réglez la disposition : clic droit sur le bureau > **Paramètres d'affichage**, faites
   glisser les écrans pour refléter leur place sur le bureau.

## Clavier, souris ou réseau ne répondent pas

Branchez-les sur un autre port du dock, puis directement sur le portable : si cela marche
en direct, le dock est en cause. Redémarrez le portable avec le dock branché.

## Le portable ne charge pas sur le dock

Utilisez le chargeur d'origine en attendant et ouvrez un ticket « Matériel > Panne
matérielle » en indiquant le modèle du dock (étiquette dessous) et son numéro de
bureau (dans les bureaux partagés, les docks sont identifiés).
"""

SLOW_LAPTOP = """Votre ordinateur portable met longtemps à démarrer, les applications se
figent ou le ventilateur tourne fort ? Avant d'appeler, faites ces vérifications : elles
règlent la majorité des cas.

1. **Redémarrez vraiment** : Démarrer > Marche/Arrêt > **Redémarrer**. « Arrêter » puis
   rallumer ne vide pas la mémoire (démarrage rapide de Windows). Faites-le au moins une
   fois par semaine.
2. **Laissez les mises à jour se terminer** : si l'icône de mise à jour est affichée,
   redémarrez en fin de journée pour les installer.
3. **Fermez ce qui ne sert pas** : onglets de navigateur par dizaines, plusieurs fichiers
   Excel lourds, Teams en vidéo… Ouvrez le **Gestionnaire des tâches** (Ctrl + Maj + Échap)
   pour voir ce qui consomme la mémoire.
4. **Vérifiez l'espace disque** : dans l'Explorateur, « Ce PC ». S'il reste moins de
   10 Go, videz la corbeille et le dossier Téléchargements.
5. **Branchez le chargeur** : sur batterie, le portable ralentit pour économiser l'énergie.
6. **En télétravail**, une lenteur des applications peut venir de la connexion et non du
   poste (voir l'article sur le VPN qui coupe).

Si la lenteur persiste, ouvrez un ticket « Poste de travail > Lenteurs » en précisant
depuis quand et dans quelles applications. Les portables de plus de cinq ans sont
remplacés en priorité : indiquez l'âge de votre matériel si vous le connaissez.
"""

ONEDRIVE = """OneDrive sauvegarde vos documents (Bureau, Documents, Images) et les rend
disponibles sur tous vos appareils. Si l'icône du nuage affiche une croix rouge, un
symbole pause ou des flèches qui tournent depuis des heures, la synchronisation est
bloquée.

1. **Cliquez sur le nuage bleu** près de l'horloge : le message indique souvent la cause
   (fichier trop long, connexion requise, espace insuffisant).
2. Si la synchronisation est **en pause**, cliquez sur **Reprendre la synchronisation**.
3. Si OneDrive demande de vous **connecter**, saisissez votre adresse et votre mot de
   passe (fréquent après un changement de mot de passe).
4. **Fichier ouvert** : fermez les documents Office ouverts, ils ne se synchronisent
   qu'une fois fermés.
5. **Noms de fichiers** : évitez les caractères `" * : < > ? / \\ |` et les chemins de plus
   de 250 caractères (dossiers imbriqués aux noms longs) ; renommez le fichier signalé.
6. **Quittez et relancez OneDrive** : nuage > roue crantée > Quitter OneDrive, puis
   relancez-le depuis le menu Démarrer.

Vos fichiers restent accessibles sur le web (portail Microsoft 365, lien sur Le Fil),
avec leurs versions précédentes : clic droit sur un fichier > **Historique des versions**.

Les dossiers d'équipe sont sur SharePoint et les lecteurs réseau, pas sur OneDrive :
OneDrive est réservé à vos documents personnels de travail.
"""

NETWORK_DRIVES = """Les lecteurs réseau donnent accès aux dossiers partagés : **S:** (service),
**P:** (dossier personnel) et **T:** (transversal, commun à toute l'office).

## Les lecteurs sont absents ou marqués d'une croix rouge

1. **En télétravail**, connectez d'abord le VPN : sans lui, les lecteurs ne sont pas
   accessibles. Une fois connecté, ouvrez l'Explorateur et double-cliquez sur le lecteur.
2. Si la croix rouge reste, **verrouillez la session** (Windows + L) puis déverrouillez :
   les lecteurs se reconnectent.
3. Toujours absents ? Double-cliquez sur le raccourci **Reconnecter mes lecteurs** du
   bureau (ou redémarrez le portable avec le VPN connecté).

## « Accès refusé » sur un dossier

Les droits sont donnés par groupe, à la demande du responsable du dossier. Ouvrez une
demande « Accès & mots de passe > Droits d'accès » en indiquant le **chemin complet**
(par exemple `S:\\Agence Nord\\Contentieux`) et le nom de la personne qui valide. Les
droits s'appliquent à la connexion suivante.

## Un fichier a disparu ou a été écrasé

Ne le recréez pas : clic droit sur le dossier > **Propriétés > Versions précédentes**
permet de restaurer une version des jours précédents. Si elle n'apparaît pas, appelez le
**4000** avec le chemin et l'heure approximative : une restauration depuis la sauvegarde
est possible sur 30 jours.
"""

SMARTPHONE = """Vous recevez un smartphone professionnel ? Il est déjà inscrit dans notre
outil de gestion : la mise en route prend dix minutes.

1. Allumez le téléphone, insérez la carte SIM si elle est fournie à part, choisissez le
   français et connectez-vous à un Wi-Fi ou à la 4G.
2. Quand l'écran **Gestion par votre organisation** s'affiche, saisissez votre adresse
   professionnelle et votre mot de passe Windows, puis validez la double authentification.
3. Les applications s'installent seules : **Outlook, Teams, Authenticator, Interv** (pour
   les gardiens) et le **Portail d'entreprise**. Patientez, Wi-Fi activé.
4. Ouvrez Outlook et Teams, connectez-vous avec votre adresse.
5. Définissez un **code de verrouillage à 6 chiffres** : il est obligatoire.

## Bon à savoir

- Les applications supplémentaires utiles au travail se trouvent dans le **Portail
  d'entreprise**.
- Le partage de connexion est autorisé pour connecter votre portable en déplacement.
- En cas de **perte ou de vol**, appelez immédiatement le 4000 : le téléphone est bloqué
  et effacé à distance. Le vol doit aussi être déclaré à votre responsable.
- Écran cassé ou batterie faible : ouvrez un ticket « Téléphonie > Téléphone mobile »,
  un appareil de prêt peut vous être remis à l'agence.

Votre ancien téléphone est à rendre à l'agence ou au magasin informatique du siège, avec
son chargeur.
"""

VOICEMAIL = """Chaque poste fixe, softphone et mobile professionnel a une messagerie vocale.

## Consulter ses messages

1. Depuis votre **poste fixe ou softphone**, appuyez sur la touche **Messagerie**
   (enveloppe) ou composez le **4500**.
2. Depuis un **mobile professionnel**, appuyez longuement sur la touche 1.
3. Saisissez votre code confidentiel, puis suivez le guide : 1 pour écouter, 7 pour
   supprimer, 9 pour sauvegarder.

Les messages du poste fixe arrivent aussi dans Outlook, en pièce jointe audio : vous
pouvez les écouter en télétravail.

## Personnaliser l'annonce

1. Accédez à la messagerie, puis tapez **3** (options personnelles) puis **1** (annonce).
2. Enregistrez votre message après le bip, puis tapez **#** pour valider.

Exemple : « Bonjour, vous êtes bien sur la messagerie de Karim Benali, agence Est. Je
suis absent ou en ligne. Laissez-moi un message avec vos coordonnées, je vous rappelle
dès que possible. »

## Code oublié ou messagerie bloquée

Après trois erreurs, la messagerie se bloque. Appelez le **4000** ou ouvrez un ticket
« Téléphonie > Messagerie vocale » : le code est remis à zéro (code provisoire 0000, à
changer à la première écoute).

Pensez à activer un renvoi ou une annonce d'absence avant vos congés.
"""

CITRIX = """Certaines applications (Gesloc, la comptabilité, la paie) s'ouvrent par
**Citrix** : elles tournent sur nos serveurs et s'affichent sur votre poste, au bureau
comme en télétravail.

## Ouvrir une application

1. En télétravail, **connectez le VPN**.
2. Ouvrez le **portail Citrix** (raccourci « Applications Relais » sur le bureau ou dans
   les favoris du navigateur).
3. Connectez-vous avec votre identifiant et mot de passe Windows.
4. Cliquez sur l'icône de l'application. Au premier lancement, le navigateur télécharge
   un fichier `.ica` : ouvrez-le, l'application démarre dans une fenêtre.

## Problèmes fréquents

- **« Impossible de se connecter au serveur »** ou rien ne s'ouvre : fermez toutes les
  fenêtres Citrix, puis clic droit sur l'icône **Citrix Workspace** près de l'horloge >
  **Quitter**, et relancez depuis le portail.
- **Application figée** : dans le portail, menu **Applications ouvertes** (ou
  *Déconnexion*), puis **Fermer la session** ; relancez l'application.
- **Affichage flou ou minuscule** sur un grand écran : déplacez la fenêtre Citrix sur
  l'écran principal avant d'ouvrir l'application.
- **Impression introuvable** : dans Citrix, choisissez l'imprimante dont le nom se
  termine par « (depuis votre poste) ».

Si une application Citrix est inaccessible pour toute votre agence, appelez le 4000 :
c'est peut-être un incident en cours (voir aussi le bandeau d'information de Relais).
"""

GESLOC = """**Gesloc** est l'application de gestion locative (baux, quittances, comptes
locataires, réclamations). Elle s'ouvre via Citrix. Voici les messages les plus
fréquents et quoi faire.

1. **« Session expirée »** : Gesloc ferme la session après 30 minutes sans activité.
   Enregistrez souvent ; fermez Gesloc et rouvrez-le depuis le portail Citrix.
2. **« Fiche verrouillée par un autre utilisateur »** : un collègue a la fiche du
   locataire ouverte. Demandez-lui de la fermer ; si la personne n'est pas joignable,
   le verrou tombe seul au bout d'une heure.
3. **« Erreur à l'enregistrement du bail »** : vérifiez les champs obligatoires (date
   d'effet, loyer, surface, numéro de lot) et les dates : la date d'effet ne peut pas
   précéder la date de libération du logement précédent.
4. **L'édition des quittances ou des courriers ne sort pas** : choisissez l'imprimante
   « Suivez-moi (depuis votre poste) » ou enregistrez le PDF dans votre lecteur P:.
5. **Export Excel vide** : réduisez la période ou le périmètre (agence, groupe
   d'immeubles) ; au-delà de 50 000 lignes, l'export est refusé.

Pour un **droit manquant** (accès au module contentieux, aux attributions…), ouvrez une
demande « Applications métier > Accès à une application » : la validation est faite par
votre responsable puis par l'équipe Applications.

Pour une anomalie (montant faux, écran en erreur), ouvrez un ticket « Applications
métier > Dysfonctionnement » avec le **numéro de bail ou de locataire**, une capture et
l'heure : l'équipe Applications retrouvera l'opération.
"""

INTERV = """**Interv** est l'application des gardiens et des techniciens sur smartphone :
bons de travaux, signalements et états des lieux. Les bons arrivent automatiquement
depuis Gesloc.

## Mes bons de travaux n'apparaissent pas

1. Ouvrez Interv et **tirez l'écran vers le bas** pour forcer la synchronisation.
2. Vérifiez la **connexion** : en sous-sol ou dans un local technique, il n'y a souvent
   pas de réseau. Les saisies sont gardées dans le téléphone et partent dès que le
   réseau revient (icône nuage barré = en attente).
3. Vérifiez la **date de la tournée** en haut de l'écran.
4. Déconnectez-vous (Menu > **Se déconnecter**) puis reconnectez-vous avec votre
   identifiant et mot de passe Windows.

**Attention** : ne désinstallez pas Interv si des saisies sont en attente (nuage barré),
elles seraient perdues.

## Clôturer un bon

1. Ouvrez le bon, touchez **Intervention réalisée**.
2. Ajoutez une **photo** après travaux et un commentaire court.
3. Faites signer le locataire sur l'écran si besoin, puis **Valider**.

## L'application se ferme toute seule

Mettez à jour Interv depuis le Portail d'entreprise, puis redémarrez le téléphone. Si le
problème continue, appelez le **4000** en donnant le numéro du bon et le modèle du
téléphone ; l'équipe Applications peut réaffecter le bon en attendant.
"""

LE_FIL = """**Le Fil** est l'intranet de l'office : actualités, annuaire, notes de service,
formulaires RH et liens vers toutes les applications.

## Y accéder

1. Au bureau, il s'ouvre comme page d'accueil du navigateur (Edge).
2. En télétravail, connectez d'abord le **VPN**, puis ouvrez Edge.
3. Sur le smartphone professionnel, utilisez l'application **Le Fil** ou le raccourci
   installé par le Portail d'entreprise.

## La page ne s'affiche pas

1. Vérifiez le VPN (télétravail) et réessayez dans un autre onglet.
2. Page blanche ou mise en page cassée : videz le cache du navigateur avec
   **Ctrl + Maj + Suppr**, cochez « Images et fichiers en cache », puis **Effacer**.
3. Si Le Fil demande un mot de passe, saisissez votre adresse professionnelle et votre
   mot de passe Windows (après un changement de mot de passe, c'est normal).
4. Essayez une **fenêtre InPrivate** (Ctrl + Maj + N) : si la page s'ouvre, c'est une
   extension ou le cache.

## Je ne trouve pas un document

Utilisez la recherche en haut de page ; pour les notes de service, la rubrique
**Documents > Notes de service** les classe par direction et par année.

Pour publier une actualité de votre agence, contactez le service Communication : ce
n'est pas le centre de services qui gère les contenus du Fil. Une panne générale du Fil
se signale au 4000.
"""

HARDWARE_REQUEST = """Écran supplémentaire, casque, clavier, souris, sacoche, station
d'accueil : les demandes de matériel se font sur Relais.

## Faire la demande

1. Sur Relais, cliquez sur **Nouvelle demande > Matériel > Demande de matériel**.
2. Indiquez le matériel souhaité et **pour qui** (vous ou un collègue), le site de
   livraison, et la raison (télétravail, poste partagé, matériel défectueux…).
3. Votre responsable reçoit la demande pour **validation** ; vous êtes prévenu par mail.
4. Une fois validée, le matériel est préparé par le magasin informatique : comptez
   **5 jours ouvrés** s'il est en stock, plus sinon.
5. Vous recevez un mail quand le matériel est disponible : retrait au magasin du siège
   (sous-sol) ou livraison dans votre agence lors de la tournée hebdomadaire.

## Ce qui est prévu

- Télétravail : un écran, un casque et une souris pour le domicile, sur demande.
- Gardiens : smartphone professionnel et, si besoin, batterie externe.
- Ordinateur portable : remplacé tous les cinq ans ou en cas de panne.

## Prêt de matériel

Pour une formation ou un événement (portable, vidéoprojecteur, clé 4G), choisissez
**Matériel > Prêt de matériel** au moins une semaine avant, avec les dates.

Le matériel **en panne** n'est pas une demande mais un incident : ouvrez un ticket
« Matériel > Panne matérielle ». Le matériel rendu est à rapporter au magasin.
"""

STAFF_MOVES = """Un collaborateur arrive, change de poste ou quitte l'office ? Anticipez :
le compte et le matériel se préparent à l'avance.

## Arrivée

1. **Au moins 10 jours ouvrés avant l'arrivée**, le responsable ouvre une demande
   « Accès & mots de passe > Création de compte » avec nom, prénom, fonction, service,
   site, date d'arrivée et type de contrat.
2. Il précise les **accès métier** (Gesloc, Interv, boîtes partagées, dossiers du
   lecteur S:) : « les mêmes que Mme X » ne suffit pas, listez-les.
3. Le matériel (portable, smartphone, badge d'impression) est préparé par le magasin.
4. Le premier jour, le nouvel arrivant récupère son matériel et son mot de passe
   provisoire auprès de son responsable ou au magasin, puis enregistre la double
   authentification (MFA).

## Changement de poste

Ouvrez une demande « Droits d'accès » : les anciens droits sont retirés, les nouveaux
ajoutés. Pensez aux boîtes partagées.

## Départ

1. Le responsable signale le départ **dès qu'il est connu**, avec la date.
2. Le collaborateur range ses documents utiles sur le lecteur S: ou SharePoint et
   prévient ses contacts.
3. Le dernier jour, il rend portable, smartphone, chargeurs et badge.
4. Le compte est désactivé le soir du départ ; la boîte mail peut être redirigée vers
   le responsable pendant trois mois, sur demande.
"""

PHISHING = """Un mail vous demande votre mot de passe, un paiement urgent ou d'ouvrir une
pièce jointe inattendue ? C'est peut-être de l'**hameçonnage** (phishing).

## Les signes qui doivent alerter

- une **urgence** ou une menace (« votre compte sera supprimé dans 24 h ») ;
- un **expéditeur** dont l'adresse ne correspond pas au nom affiché : passez la souris
  sur le nom pour voir l'adresse réelle ;
- un lien dont l'adresse, au survol, ne mène pas vers un site de l'office ;
- une demande de **changement de RIB** d'un fournisseur ou d'un locataire ;
- le bandeau **« Expéditeur externe »** sur un mail qui prétend venir d'un collègue.

## Que faire

1. **Ne cliquez pas**, n'ouvrez pas la pièce jointe, ne répondez pas.
2. Signalez-le avec le bouton **Signaler** d'Outlook (onglet Accueil) > **Hameçonnage**.
   Le mail est supprimé de votre boîte et transmis à l'équipe sécurité.
3. Pour un changement de RIB, vérifiez **par téléphone**, avec un numéro connu et non
   celui du mail.

## Vous avez cliqué ou saisi votre mot de passe ?

Pas de honte, cela arrive : **appelez tout de suite le 4000**. Changez votre mot de passe
(Ctrl + Alt + Suppr), puis laissez le centre de services vérifier votre compte et votre
poste. Plus l'alerte est rapide, moins les conséquences sont graves.

Le centre de services ne vous demandera **jamais** votre mot de passe, ni par mail, ni
par téléphone.
"""

# --- Internal procedures (audience: the desk) ----------------------------------------------

DESK_VPN_RESET = """*Procédure interne du centre de services.* À appliquer quand un
collaborateur n'arrive plus à se connecter au VPN malgré un mot de passe valide (erreur
« authentification refusée » après la notification MFA, ou aucune notification reçue).

1. **Vérifier l'identité** de l'appelant : matricule, responsable, site. Jamais de
   réinitialisation sur simple mail.
2. Dans la **console FortiAuthenticator** (onglet *Authentication > User Management >
   Remote Users*), rechercher le compte par identifiant prenom.nom.
3. Contrôler l'état : compte **verrouillé** (trop d'échecs) → cliquer sur *Unlock* ;
   jeton **désynchronisé** → *Token > Resynchronize*.
4. Si le collaborateur a changé de téléphone : *Token > Revoke*, puis dans le portail
   Entra, **Exiger le réenregistrement MFA**. Lui faire enregistrer le nouveau téléphone
   pendant l'appel.
5. Lui faire tester la connexion **pendant l'appel**. Ne pas clôturer avant le test.
6. Tracer dans le ticket : action faite, heure, résultat du test (note interne).

Si plusieurs collaborateurs sont touchés en même temps, ne pas réinitialiser les jetons
un par un : c'est probablement un incident sur la passerelle, voir la procédure
d'escalade à l'équipe Réseau.
"""

DESK_NETWORK_ESCALATION = """*Procédure interne du centre de services.* Quand transférer un
ticket à l'équipe **Réseau et VPN** (niveau 2), et comment.

## Escalader immédiatement (P1 ou P2)

- plus de **trois collaborateurs** d'un même site sans réseau ou sans Wi-Fi ;
- VPN refusé pour **plusieurs** télétravailleurs en même temps ;
- une agence entière sans téléphonie ou sans accès aux applications.

## Avant d'escalader, vérifier

1. La **page d'état** des liens opérateurs (lien dans la console) : un incident est-il
   déjà déclaré ?
2. Les **tickets ouverts** du même site dans la dernière heure : les rattacher au même
   incident plutôt que d'en créer plusieurs.
3. Pour un poste isolé : câble, port, redémarrage, autre poste sur la même prise.

## Comment escalader

1. Passer le ticket à l'équipe **Réseau et VPN**, priorité selon l'impact.
2. Renseigner dans une **note interne** : site, étage/bureau, nombre de personnes,
   heure de début, tests faits, messages d'erreur exacts, adresse IP si connue.
3. Pour une P1, **appeler aussi** l'astreinte réseau (numéro dans la console, rubrique
   Astreintes) : le ticket seul ne suffit pas.
4. Publier un **bandeau d'information** sur Relais si le site entier est touché.
5. Prévenir le demandeur : « transmis à l'équipe Réseau, nous revenons vers vous ».

Le N1 reste responsable du suivi auprès du demandeur jusqu'à la résolution.
"""

DESK_DEPARTURE = """*Procédure interne du centre de services.* Traitement d'une demande de
départ d'un collaborateur (fin de contrat, mutation, retraite).

1. **Vérifier la demande** : elle doit venir du responsable ou des RH, avec la date de
   départ. Sinon, demander confirmation par écrit avant toute action.
2. **Planifier la désactivation** du compte pour le soir du dernier jour, 18 h
   (désactivation, pas suppression : le compte est supprimé après 90 jours).
3. **Messagerie** : selon la demande, convertir la boîte en boîte partagée et donner
   l'accès au responsable, ou activer une réponse automatique indiquant le contact.
4. **Retirer** l'utilisateur des boîtes partagées, des groupes de droits et de
   l'application Interv (gardiens), pour libérer les licences.
5. **Smartphone** : à la restitution, effacer l'appareil dans la console de gestion,
   puis le retirer de l'inventaire ou le remettre en stock.
6. **Portable** : vérifier avec le collaborateur que ses documents sont sur S: ou
   SharePoint, puis remise en stock pour réinstallation.
7. **Badge d'impression** : dissocier le badge du compte.
8. **Clôturer** le ticket en listant dans la résolution ce qui a été fait et la date de
   suppression définitive prévue.

En cas de départ conflictuel signalé par les RH, la désactivation est **immédiate** :
prévenir le superviseur.
"""

# --- Work in progress by agents, and the archived article ----------------------------------

SCAN_TO_MAIL = """Les copieurs permettent de numériser un document et de le recevoir par mail
en PDF.

1. Posez votre badge sur le lecteur du copieur pour vous identifier.
2. Placez les documents dans le chargeur (face imprimée vers le haut) ou sur la vitre.
3. Touchez **Numériser vers ma messagerie** : l'adresse est remplie automatiquement.
4. Réglez si besoin : recto verso, couleur, résolution (200 ppp suffisent pour un
   courrier ; 300 ppp pour une pièce justificative).
5. Appuyez sur **Démarrer**. Le PDF arrive en quelques minutes dans votre boîte.

Le fichier est trop lourd ? Au-delà de 20 Mo, le mail est refusé : numérisez en noir et
blanc ou en plusieurs fois.

À compléter : numériser vers le lecteur S: (dossier de l'agence), et que faire si le mail
n'arrive pas (vérifier le courrier indésirable). Captures d'écran du copieur à ajouter.
"""

PHONE_HOTSPOT = """En déplacement, sans Wi-Fi, vous pouvez connecter votre ordinateur
portable à Internet avec le **partage de connexion** du smartphone professionnel.

1. Sur le smartphone : **Paramètres > Partage de connexion** (iPhone) ou **Paramètres >
   Connexions > Point d'accès mobile** (Android), puis activez-le.
2. Notez le nom du réseau et le mot de passe affichés.
3. Sur le portable, cliquez sur l'icône Wi-Fi et choisissez le réseau du téléphone.
4. Saisissez le mot de passe, puis connectez le **VPN** comme d'habitude.
5. Désactivez le partage quand vous avez fini : il vide la batterie.

Attention à la consommation : le forfait des smartphones est de 20 Go par mois. Évitez
les mises à jour Windows et les vidéos en partage de connexion ; coupez la caméra dans
Teams.

Brouillon : vérifier avec l'équipe Poste de travail le volume du forfait et ajouter le cas
du câble USB.
"""

OUTLOOK_SIGNATURE = """Votre signature de mail doit suivre la charte de l'office : nom,
fonction, service, site, téléphone et le logo.

1. Dans Outlook, **Fichier > Options > Courrier > Signatures**.
2. Cliquez sur **Nouveau**, nommez la signature (par exemple « Relais »).
3. Copiez le modèle de signature disponible sur Le Fil (rubrique Communication > Charte)
   et collez-le dans la zone de texte.
4. Remplacez les champs par vos informations. N'ajoutez ni citation ni image.
5. Dans **Nouveaux messages** et **Réponses/transferts**, choisissez la signature.
6. Cliquez sur **OK**.

Sur le smartphone, la signature se règle séparément dans l'application Outlook :
Paramètres > Signature.

À vérifier avec la Communication : la signature sera-t-elle bientôt ajoutée
automatiquement par le serveur ? Dans ce cas, cet article deviendra inutile.
"""

TEAMS_HEADSET = """Pour utiliser un casque Bluetooth (sans fil) dans Teams :

1. Mettez le casque en mode appairage (bouton appuyé jusqu'au clignotement bleu).
2. Sur le portable : **Paramètres > Bluetooth et appareils > Ajouter un appareil >
   Bluetooth**, puis choisissez le casque.
3. Dans Teams, **Paramètres > Appareils** : sélectionnez le casque comme haut-parleur et
   microphone.
4. Passez un **appel test** pour vérifier le son.

## Le son est mauvais ou métallique

Windows affiche parfois deux entrées pour le même casque : « Stereo » (bonne qualité,
sans micro) et « Hands-Free » (avec micro, qualité moindre). Dans Teams, choisissez la
même entrée pour le micro et le haut-parleur.

## Le casque se déconnecte

Rechargez-le ; restez à moins de cinq mètres du portable ; oubliez l'appareil dans les
paramètres Bluetooth et recommencez l'appairage.

Les casques filaires USB fournis par l'office restent recommandés pour les longues
réunions : ils ne dépendent pas de la batterie.
"""

CITRIX_GESLOC_BLANK = """Depuis la mise à jour de Citrix Workspace, certains collaborateurs
voient une **fenêtre blanche** à l'ouverture de Gesloc.

1. Fermez la fenêtre blanche.
2. Clic droit sur l'icône **Citrix Workspace** près de l'horloge > **Préférences avancées**
   > **Réinitialiser Citrix Workspace**, confirmez.
3. Redémarrez le portable.
4. Rouvrez le portail Citrix et connectez-vous : Gesloc s'affiche normalement.

Si la fenêtre reste blanche, vérifiez la version de Citrix Workspace (clic droit > À
propos) : la version attendue est indiquée sur Le Fil. Une version plus ancienne doit
être mise à jour depuis le Centre logiciel (**Démarrer > Centre logiciel > Citrix
Workspace > Installer**).

Contournement en attendant : ouvrez Gesloc depuis le navigateur Edge en mode **HTML5**
(portail Citrix > Paramètres du compte > Client Citrix > Utiliser le client léger).

Ne désinstallez pas Citrix Workspace vous-même : l'installation demande des droits
d'administrateur. Appelez le 4000 si la réinitialisation ne suffit pas.
"""

ANYCONNECT = """**Article archivé : depuis le passage à FortiClient, Cisco AnyConnect n'est
plus utilisé.** Voir l'article sur la connexion au VPN FortiClient.

Pour se connecter au VPN avec Cisco AnyConnect :

1. Ouvrez **Cisco AnyConnect Secure Mobility Client** depuis le menu Démarrer.
2. Dans la zone d'adresse, vérifiez que la passerelle **vpn.relais.test** est indiquée,
   puis cliquez sur **Connect**.
3. Saisissez votre identifiant Windows et votre mot de passe.
4. Saisissez le code à 6 chiffres affiché par votre jeton physique (porte-clés).
5. Acceptez le message d'avertissement. L'icône affiche un cadenas quand le VPN est
   connecté.

En cas de message « Login failed », vérifiez que le code du jeton n'a pas changé pendant
la saisie (il change toutes les 60 secondes) et recommencez.

Les jetons physiques sont à rendre au magasin informatique. Si AnyConnect est encore
installé sur votre poste, il sera supprimé automatiquement ; n'essayez pas de l'utiliser.
"""

DESK = Audience.AGENTS
DRAFT, REVIEW, ARCHIVED = ArticleState.DRAFT, ArticleState.REVIEW, ArticleState.ARCHIVED

ARTICLES = [
    Spec("vpn-home", "Connexion & VPN/Connexion depuis le domicile",
         "Se connecter au VPN FortiClient depuis chez soi",
         ("vpn", "forticlient", "télétravail", "connexion à distance"), VPN_HOME),
    Spec("vpn-drops", "Connexion & VPN/VPN",
         "Le VPN se coupe ou affiche « serveur VPN injoignable »",
         ("vpn", "forticlient", "déconnexion", "box", "télétravail"), VPN_DROPS),
    Spec("password-change", "Accès & mots de passe/Mot de passe oublié ou expiré",
         "Changer son mot de passe Windows (expiré ou bientôt expiré)",
         ("mot de passe", "mdp", "expiration", "windows"), LOGIN_CHANGE),
    Spec("password-forgot", "Accès & mots de passe/Mot de passe oublié ou expiré",
         "Mot de passe oublié ou compte verrouillé : le réinitialiser soi-même",
         ("mot de passe", "mdp", "compte bloqué", "réinitialisation", "libre-service"),
         LOGIN_FORGOT),
    Spec("mfa-phone", "Accès & mots de passe",
         "Nouveau téléphone : réinstaller la double authentification (MFA)",
         ("mfa", "authenticator", "double authentification", "2fa", "téléphone"),
         MFA_NEW_PHONE),
    Spec("outlook-open", "Messagerie/Outlook",
         "Outlook ne s'ouvre pas ou reste bloqué au chargement",
         ("outlook", "mail", "profil", "plantage"), OUTLOOK_OPEN),
    Spec("mailbox-full", "Messagerie/Outlook",
         "Boîte aux lettres pleine : libérer de l'espace",
         ("outlook", "bal", "quota", "boîte pleine", "archive"), MAILBOX_FULL),
    Spec("shared-mailbox", "Messagerie/Boîte partagée",
         "Accéder à une boîte partagée (agence, service) dans Outlook",
         ("boîte partagée", "bal partagée", "outlook", "agence"), SHARED_MAILBOX),
    Spec("out-of-office", "Messagerie/Outlook",
         "Activer la réponse automatique d'absence (congés)",
         ("outlook", "absence", "congés", "message d'absence", "répondeur"), OUT_OF_OFFICE),
    Spec("teams-av", "Plateformes collaboratives/Teams",
         "Teams : on ne m'entend pas, je n'entends rien ou ma caméra est noire",
         ("teams", "micro", "son", "caméra", "casque", "visio"), TEAMS_AUDIO_VIDEO),
    Spec("teams-share", "Plateformes collaboratives/Teams",
         "Teams : partager son écran pendant une réunion",
         ("teams", "partage d'écran", "réunion", "visio", "présentation"), TEAMS_SCREEN),
    Spec("print-badge", "Impression/Imprimante",
         "Imprimer avec son badge (file « Suivez-moi »)",
         ("impression", "imprimante", "badge", "copieur", "suivez-moi"), PRINT_BADGE),
    Spec("wifi", "Connexion & VPN/Wi-Fi",
         "Se connecter au Wi-Fi au siège et dans les agences",
         ("wifi", "wi-fi", "relais-pro", "invités", "sans fil"), WIFI),
    Spec("dock", "Poste de travail/Ordinateur portable",
         "Station d'accueil : écrans noirs, clavier ou souris qui ne répondent pas",
         ("dock", "station d'accueil", "écran", "usb-c", "double écran"), DOCK),
    Spec("slow-laptop", "Poste de travail/Lenteurs",
         "Ordinateur portable lent : les vérifications à faire",
         ("lenteur", "pc lent", "portable", "redémarrage", "mémoire"), SLOW_LAPTOP),
    Spec("onedrive", "Plateformes collaboratives/Partage de fichiers",
         "OneDrive ne synchronise plus mes fichiers",
         ("onedrive", "synchronisation", "synchro", "fichiers", "cloud"), ONEDRIVE),
    Spec("network-drives", "Plateformes collaboratives/Partage de fichiers",
         "Lecteurs réseau (S:, P:, T:) absents ou accès refusé",
         ("lecteur réseau", "partage", "dossier partagé", "s:", "accès refusé"),
         NETWORK_DRIVES),
    Spec("smartphone", "Téléphonie/Téléphone mobile",
         "Smartphone professionnel : première mise en route",
         ("smartphone", "mobile", "téléphone pro", "portail d'entreprise", "intune"),
         SMARTPHONE),
    Spec("voicemail", "Téléphonie/Messagerie vocale",
         "Consulter et personnaliser sa messagerie vocale",
         ("messagerie vocale", "répondeur", "code", "softphone"), VOICEMAIL),
    Spec("citrix", "Applications métier/Accès à une application",
         "Ouvrir une application par Citrix (au bureau et en télétravail)",
         ("citrix", "workspace", "ica", "bureau à distance", "gesloc"), CITRIX),
    Spec("gesloc", "Applications métier/Dysfonctionnement",
         "Gesloc : messages d'erreur fréquents et que faire",
         ("gesloc", "gestion locative", "bail", "quittance", "citrix"), GESLOC),
    Spec("interv", "Applications métier/Dysfonctionnement",
         "Interv : bons de travaux absents ou qui ne se synchronisent pas",
         ("interv", "gardien", "bon de travaux", "bt", "smartphone"), INTERV),
    Spec("le-fil", "Plateformes collaboratives/SharePoint",
         "Le Fil (intranet) : y accéder et que faire si la page ne s'affiche pas",
         ("le fil", "intranet", "notes de service", "annuaire"), LE_FIL),
    Spec("hardware", "Matériel/Demande de matériel",
         "Demander du matériel (écran, casque, clavier, prêt de portable)",
         ("matériel", "écran", "casque", "prêt", "commande"), HARDWARE_REQUEST),
    Spec("staff-moves", "Accès & mots de passe/Création de compte",
         "Arrivée, mobilité ou départ d'un collaborateur : les démarches informatiques",
         ("arrivée", "départ", "nouvel arrivant", "création de compte", "mobilité"),
         STAFF_MOVES),
    Spec("phishing", "Messagerie",
         "Mail suspect : reconnaître et signaler l'hameçonnage (phishing)",
         ("phishing", "hameçonnage", "sécurité", "spam", "arnaque"), PHISHING),
    Spec("desk-vpn-token", "Connexion & VPN/VPN",
         "[Procédure N1] Réinitialiser un jeton VPN dans la console FortiAuthenticator",
         ("vpn", "jeton", "token", "fortiauthenticator", "procédure"), DESK_VPN_RESET, DESK),
    Spec("desk-network", "Connexion & VPN",
         "[Procédure N1] Escalader un incident à l'équipe Réseau et VPN",
         ("escalade", "réseau", "n2", "astreinte", "procédure"),
         DESK_NETWORK_ESCALATION, DESK),
    Spec("desk-departure", "Accès & mots de passe/Création de compte",
         "[Procédure N1] Traiter le départ d'un collaborateur",
         ("départ", "désactivation", "compte", "licences", "procédure"), DESK_DEPARTURE, DESK),
    Spec("scan-to-mail", "Impression/Scanner",
         "Numériser un document vers sa messagerie",
         ("scanner", "scan", "numérisation", "copieur", "pdf"), SCAN_TO_MAIL, state=DRAFT),
    Spec("hotspot", "Téléphonie/Téléphone mobile",
         "Partager la connexion 4G du smartphone avec son portable",
         ("partage de connexion", "4g", "hotspot", "smartphone"), PHONE_HOTSPOT, state=DRAFT),
    Spec("signature", "Messagerie/Outlook",
         "Créer sa signature de mail dans Outlook",
         ("signature", "outlook", "charte"), OUTLOOK_SIGNATURE, state=DRAFT),
    Spec("teams-bluetooth", "Plateformes collaboratives/Teams",
         "Utiliser un casque Bluetooth avec Teams",
         ("teams", "bluetooth", "casque", "sans fil"), TEAMS_HEADSET, state=REVIEW),
    Spec("citrix-blank", "Applications métier/Accès à une application",
         "Citrix : Gesloc s'ouvre sur une fenêtre blanche",
         ("citrix", "gesloc", "fenêtre blanche", "workspace"), CITRIX_GESLOC_BLANK,
         state=REVIEW),
    Spec("anyconnect", "Connexion & VPN/VPN",
         "Se connecter au VPN avec Cisco AnyConnect (ancien VPN)",
         ("vpn", "anyconnect", "cisco", "jeton"), ANYCONNECT, state=ARCHIVED),
]  # fmt: skip

RELATED = [
    ("vpn-home", ["vpn-drops", "password-change", "mfa-phone"]),
    ("password-change", ["password-forgot", "mfa-phone"]),
    ("outlook-open", ["mailbox-full", "shared-mailbox"]),
    ("teams-av", ["teams-share", "hardware"]),
    ("citrix", ["gesloc", "vpn-home"]),
    ("network-drives", ["onedrive", "vpn-home"]),
    ("staff-moves", ["hardware", "smartphone"]),
    ("desk-vpn-token", ["desk-network", "vpn-drops"]),
]

# Review date already passed: these show up in the "to review" reminders.
OVERDUE = {"wifi", "voicemail"}

FEEDBACK_COMMENTS = {
    True: ["Clair et rapide, merci !", "Ça a marché du premier coup.", "", "", ""],
    False: [
        "Les captures d'écran ne correspondent pas à mon écran.",
        "Ça n'a pas résolu mon problème, j'ai dû appeler le 4000.",
        "",
    ],
}


def _category(path: str, cache: dict[str, Category]) -> Category:
    if path not in cache:
        root, _sep, child = path.partition("/")
        parent = Category.objects.get(name=root, parent__isnull=True)
        cache[path] = parent if not child else Category.objects.get(name=child, parent=parent)
    return cache[path]


def _create(
    spec: Spec, draft: ArticleDraft, ctx: DemoContext, people: dict[str, list[User]]
) -> Article:
    if spec.state in (DRAFT, REVIEW):
        article = article_create(draft=draft, actor=ctx.rng.choice(people["agents"]))
        if spec.state == REVIEW:
            article = article_move(article=article, state=REVIEW, actor=article.owner)
        return article
    editor = people["admins"][0] if spec.audience == DESK else ctx.rng.choice(people["editors"])
    article = article_create(draft=draft, actor=editor, state=ArticleState.PUBLISHED)
    if spec.state == ARCHIVED:
        article = article_move(article=article, state=ARCHIVED, actor=editor)
    return article


def _relate(articles: dict[str, Article], drafts: dict[str, ArticleDraft]) -> None:
    # The relation is symmetrical and `related=` replaces the whole set: give each article
    # all its neighbours, so that a later update does not drop an earlier pair.
    neighbours: dict[str, list[str]] = {}
    for key, others in RELATED:
        for other in others:
            neighbours.setdefault(key, []).append(other)
            neighbours.setdefault(other, []).append(key)
    for key, _others in RELATED:
        article = articles[key]
        article_update(
            article=article,
            draft=drafts[key],
            actor=article.owner,
            expected_version=article.version,
            summary="Articles liés",
            related=[articles[other] for other in neighbours[key]],
        )


def _readers(ctx: DemoContext, articles: list[Article], readers: list[User]) -> int:
    rng = ctx.rng
    answers = 0
    today = timezone.localdate()
    for article in articles:
        for _view in range(rng.randint(5, 80)):
            # Spread over the last 90 days, so that the reports' periods show something.
            article_viewed(article, day=today - timedelta(days=rng.randint(0, 89)))
        for reader in rng.sample(readers, rng.randint(0, 8)):
            useful = rng.random() < 0.8
            comment = rng.choice(FEEDBACK_COMMENTS[useful])
            article_feedback(article=article, actor=reader, useful=useful, comment=comment)
            answers += 1
    return answers


def seed(ctx: DemoContext) -> str:
    users = [u for u in ctx.data["users"] if u.is_active]
    admins = [u for u in users if u.role == Role.ADMIN]
    people = {
        "admins": admins,
        "editors": [u for u in users if u.role == Role.SUPERVISOR] + admins,
        "agents": [u for u in users if u.role == Role.AGENT],
    }
    collaborators = [u for u in users if u.role == Role.COLLABORATOR]
    overdue = timezone.localdate() - timedelta(days=10)
    categories: dict[str, Category] = {}
    drafts: dict[str, ArticleDraft] = {}
    articles: dict[str, Article] = {}
    for spec in ARTICLES:
        drafts[spec.key] = ArticleDraft(
            title=spec.title,
            body=spec.body,
            category=_category(spec.category, categories),
            tags=spec.tags,
            audience=spec.audience,
            review_by=overdue if spec.key in OVERDUE else None,
        )
        articles[spec.key] = _create(spec, drafts[spec.key], ctx, people)
    _relate(articles, drafts)
    public = [
        articles[s.key]
        for s in ARTICLES
        if s.state == ArticleState.PUBLISHED and s.audience == Audience.EVERYONE
    ]
    feedback = _readers(ctx, public, collaborators)
    ctx.data["articles"] = articles
    published = sum(s.state == ArticleState.PUBLISHED for s in ARTICLES)
    internal = sum(s.audience == DESK for s in ARTICLES)
    return (
        f"{len(articles)} articles ({published} published, {internal} for the desk), "
        f"{feedback} feedback answers"
    )
