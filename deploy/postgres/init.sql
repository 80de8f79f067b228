-- One database per service (no service reads another's tables), and one for Keycloak.
CREATE DATABASE catalog;
CREATE DATABASE demand;
CREATE DATABASE tenders;
CREATE DATABASE contracts;
CREATE DATABASE notifications;
CREATE DATABASE keycloak;
