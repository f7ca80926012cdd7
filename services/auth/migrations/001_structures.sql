-- Structures of the collectivité (communes, sites) and the news their staff publish on the home page.
CREATE TABLE structures (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    news_html   text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now()
);
