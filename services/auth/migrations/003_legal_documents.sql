-- First versions of the RGPD notice and the CGU; each collectivité publishes its own as new versions.
INSERT INTO legal_documents (kind, version, title, body_html) VALUES
('rgpd', 1, 'Protection des données personnelles (RGPD)',
 '<p>La collectivité traite les données de votre famille (identité, coordonnées, informations sur vos enfants, réservations, dossier et règlements) pour gérer les services périscolaires et extrascolaires auxquels vous inscrivez vos enfants.</p>'
 '<p>Ces données ne sont accessibles qu''aux agents habilités de la collectivité et ne sont transmises qu''aux services qui en ont besoin (restauration, trésorerie). Les données de santé de vos enfants ne sont utilisées que pour leur sécurité.</p>'
 '<p>Vous pouvez exercer vos droits d''accès, de rectification, d''effacement et d''opposition auprès du délégué à la protection des données de la collectivité.</p>'),
('cgu', 1, 'Conditions générales d''utilisation du portail',
 '<p>Le Portail Famille permet de réserver les activités proposées par la collectivité, de tenir à jour votre dossier famille et de suivre vos consommations.</p>'
 '<p>Votre identifiant et votre mot de passe sont personnels : ne les communiquez à personne. Les réservations et annulations sont soumises aux délais et aux règlements intérieurs de chaque structure.</p>'
 '<p>La collectivité peut modifier ces conditions ; la nouvelle version vous sera présentée à votre prochaine connexion.</p>');
