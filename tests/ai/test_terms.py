"""The code-aware keyword text that keyword search indexes and queries with."""

from ai.vectors.terms import keyword_terms, keyword_text, query_terms, ticket_keys


def test_identifiers_are_split_into_parts_and_kept_whole():
    terms = keyword_terms("Fix MetaClassRegistryImpl and parse_json_lax")
    assert {"meta", "class", "registry", "impl", "metaclassregistryimpl"} <= set(terms)
    assert {"parse", "json", "lax", "parsejsonlax"} <= set(terms)
    assert "fix" in terms


def test_acronyms_and_digits_split_where_a_reader_would():
    terms = keyword_terms("HTTPServer getURLFor")
    assert {"http", "server", "httpserver", "get", "url", "geturlfor"} <= set(terms)


def test_paths_give_their_segments_and_the_file_s_class_name():
    terms = keyword_terms("Files: subprojects/groovy-xml/src/test/groovy/xml/StreamingMarkupWriterTest.groovy")
    assert {"subprojects", "xml", "streaming", "markup", "writer", "test", "streamingmarkupwritertest"} <= set(terms)
    # the whole path is no useful term
    assert not any("/" in t or len(t) > 30 for t in terms)


def test_ticket_keys_stay_whole_and_stop_words_go():
    terms = keyword_terms("GROOVY-11542: the closure is not a generic placeholder")
    assert terms[0] == "groovy11542"
    assert "11542" not in terms and "the" not in terms and "is" not in terms and "a" not in terms
    assert {"closure", "generic", "placeholder"} <= set(terms)
    assert ticket_keys("GROOVY-11542 and JIRA-7, not groovy-3 or X-1") == {"GROOVY-11542", "JIRA-7"}


def test_a_query_has_distinct_terms_and_ignores_noise():
    assert query_terms("json JSON Json parser") == ["json", "parser"]
    assert query_terms("the of and") == []
    assert query_terms("a" * 80) == []  # a long run of characters is noise, not a term
    assert query_terms('"NEAR" OR AND*') == ["near"]  # letters and digits only: no FTS syntax


def test_the_keyword_text_keeps_the_subject_line_first_and_apart():
    text = "Fix the JsonSlurper parser\n\nIt failed on NaN.\nFiles: src/main/JsonSlurper.java"
    subject, rest = keyword_text(text).split("\n")
    assert subject.split() == ["fix", "json", "slurper", "jsonslurper", "parser"]
    assert {"failed", "nan", "src", "main", "jsonslurper"} <= set(rest.split())
    assert keyword_text("  One line only  ") == "one line"
