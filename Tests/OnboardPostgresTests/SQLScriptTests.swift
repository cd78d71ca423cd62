import Testing

@testable import OnboardPostgres

@Suite("Splitting migration files into statements")
struct SQLScriptTests {
    @Test("Semicolons inside comments, quotes, identifiers and dollar quotes do not end a statement")
    func quoting() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT 'it''s; fine', "we;ird" int);
            /* block; /* nested; */ still comment; */
            CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END $body$ LANGUAGE plpgsql;
            SELECT $$;$$, $1;
            -- only a comment at the end;
            """
        let statements = SQLScript.statements(in: script)
        #expect(statements.count == 3)
        #expect(statements[0].hasPrefix("-- a comment; with a semicolon\nCREATE TABLE a"))
        #expect(statements[0].hasSuffix("\"we;ird\" int)"))
        #expect(statements[1].contains("RETURN 1; END $body$ LANGUAGE plpgsql"))
        #expect(statements[2].hasSuffix("SELECT $$;$$, $1"))
    }

    @Test("Every embedded migration splits into statements that each hold code")
    func migrations() {
        for migration in embeddedMigrations {
            let statements = SQLScript.statements(in: migration.sql)
            #expect(!statements.isEmpty, "\(migration.id)")
            #expect(statements.allSatisfy { !$0.hasSuffix(";") }, "\(migration.id)")
        }
    }
}
