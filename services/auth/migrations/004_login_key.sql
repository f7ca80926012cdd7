-- Sign-in finds an account by its identifiant folded with the C collation (services/auth/sessions.py
-- login_key / ACCOUNT_BY_KEY): the same folding, whatever the database's locale, as the throttle key's.
CREATE INDEX accounts_login_key ON accounts (lower(login COLLATE "C"));
