DELETE FROM revisions WHERE topic = 'accounts';
DROP TABLE sign_in_failures;
DROP TABLE refresh_tokens;
DROP TABLE accounts;
