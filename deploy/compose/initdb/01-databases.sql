-- One database per service (run once by the postgres image on an empty volume).
CREATE DATABASE portail_auth;
CREATE DATABASE portail_booking;
CREATE DATABASE portail_dossier;
CREATE DATABASE portail_notify;
CREATE DATABASE portail_billing;
