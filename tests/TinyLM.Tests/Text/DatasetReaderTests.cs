using System.Text;
using TinyLM.Text;

namespace TinyLM.Tests.Text;

public class DatasetReaderTests
{
    [Fact]
    public void Tsv_reads_labels_and_text_with_bom_and_crlf()
    {
        using var dir = new TempDir();
        string p = dir.Bytes("d.tsv", [0xEF, 0xBB, 0xBF, .. "pos\tgreat film\r\nneg\tawful\tpart two\r\n\r\n"u8]);
        TextDataset d = TextDatasetReader.Read(p);
        Assert.Equal(2, d.Count);
        Assert.Equal("pos", d.Examples[0].Label);
        Assert.Equal("great film", d.Examples[0].Text);
        Assert.Equal("awful\tpart two", d.Examples[1].Text);
        Assert.Equal(2, d.Examples[1].Line);
    }

    [Fact]
    public void Tsv_line_without_tab_names_file_and_line()
    {
        using var dir = new TempDir();
        string p = dir.File("d.tsv", "pos\tok\nno tab here\n");
        var ex = Assert.Throws<DataFormatException>(() => TextDatasetReader.ReadTsv(p));
        Assert.Equal(2, ex.Line);
        Assert.StartsWith($"{p}:2:", ex.Message);
        Assert.Contains("no tab", ex.Message);
    }

    [Fact]
    public void Skip_bad_counts_bad_lines_instead_of_throwing()
    {
        using var dir = new TempDir();
        string p = dir.File("d.tsv", "pos\tok\nno tab\nneg\t \n\tmissing label\nneg\tfine\n");
        TextDataset d = TextDatasetReader.ReadTsv(p, skipBad: true);
        Assert.Equal(2, d.Count);
        Assert.Equal(3, d.SkippedLines);
        Assert.Contains(d.SkipReasons, r => r.StartsWith($"{p}:3:", StringComparison.Ordinal) && r.Contains("empty", StringComparison.Ordinal));
    }

    [Fact]
    public void Invalid_utf8_is_reported_with_its_line()
    {
        using var dir = new TempDir();
        string p = dir.Bytes("d.tsv", [.. "pos\tok\nneg\tbad "u8, 0xC3, 0x28, .. "\n"u8]);
        var ex = Assert.Throws<DataFormatException>(() => TextDatasetReader.ReadTsv(p));
        Assert.Equal(2, ex.Line);
        Assert.Contains("UTF-8", ex.Message);
    }

    [Theory]
    [InlineData("d.tsv", "pos\tgood\n", "neg\tbad ", "\n", "neg\tfine\n")]
    [InlineData("d.txt", "__label__pos good\n", "__label__neg bad ", "\n", "__label__neg fine\n")]
    [InlineData("d.jsonl", "{\"text\": \"good\", \"label\": \"pos\"}\n", "{\"text\": \"bad ", "\", \"label\": \"neg\"}\n", "{\"text\": \"fine\", \"label\": \"neg\"}\n")]
    [InlineData("d.csv", "text,label\ngood,pos\n", "bad ", ",neg\n", "fine,neg\n")]
    public void Invalid_utf8_fails_naming_file_and_line_and_skip_bad_skips_and_counts_it(string name, string before, string badStart, string badEnd, string after)
    {
        using var dir = new TempDir();
        // The bad line holds the byte 0xFF, never valid in UTF-8, inside an otherwise well-formed line.
        string p = dir.Bytes(name, [.. Encoding.UTF8.GetBytes(before + badStart), 0xFF, .. Encoding.UTF8.GetBytes(badEnd + after)]);
        int badLine = before.Count(ch => ch == '\n') + 1;

        var ex = Assert.Throws<DataFormatException>(() => TextDatasetReader.Read(p));
        Assert.Equal(badLine, ex.Line);
        Assert.StartsWith($"{p}:{badLine}: invalid UTF-8", ex.Message, StringComparison.Ordinal);

        TextDataset d = TextDatasetReader.Read(p, skipBad: true);
        Assert.Equal(["pos", "neg"], d.Examples.Select(e => e.Label));
        Assert.Equal(["good", "fine"], d.Examples.Select(e => e.Text));
        Assert.Equal(badLine + 1, d.Examples[1].Line);
        Assert.Equal(1, d.SkippedLines);
        Assert.StartsWith($"{p}:{badLine}: invalid UTF-8", Assert.Single(d.SkipReasons), StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_in_a_csv_header_cannot_be_skipped()
    {
        using var dir = new TempDir();
        string p = dir.Bytes("h.csv", [.. "te"u8, 0xFF, .. "xt,label\ngood,pos\n"u8]);
        var ex = Assert.Throws<DataFormatException>(() => CsvDatasetReader.Read(p, skipBad: true));
        Assert.Equal(1, ex.Line);
        Assert.Contains("header", ex.Message);
    }

    [Fact]
    public void Invalid_utf8_in_parallel_data_fails_naming_file_and_line_and_skip_bad_skips_the_pair()
    {
        using var dir = new TempDir();
        string tsv = dir.Bytes("p.tsv", [.. "ein hund\ta dog\nkaput"u8, 0xC3, 0x28, .. "\tbroken\neine katze\ta cat\n"u8]);
        var ex = Assert.Throws<DataFormatException>(() => ParallelCorpus.ReadTsv(tsv));
        Assert.StartsWith($"{tsv}:2: invalid UTF-8", ex.Message, StringComparison.Ordinal);
        var corpus = ParallelCorpus.ReadTsv(tsv, skipBad: true);
        Assert.Equal(["a dog", "a cat"], corpus.Pairs.Select(pair => pair.Target));
        Assert.Equal(1, corpus.SkippedLines);

        string de = dir.Bytes("t.de", [.. "ein hund\nkaput"u8, 0xFF, .. "\neine katze\n"u8]);
        string en = dir.File("t.en", "a dog\nbroken\na cat\n");
        ex = Assert.Throws<DataFormatException>(() => ParallelCorpus.Read(de, en));
        Assert.StartsWith($"{de}:2: invalid UTF-8", ex.Message, StringComparison.Ordinal);
        corpus = ParallelCorpus.Read(de, en, skipBad: true);
        Assert.Equal(["a dog", "a cat"], corpus.Pairs.Select(pair => pair.Target));
        Assert.Equal([1, 3], corpus.Pairs.Select(pair => pair.Line));
        Assert.Equal(1, corpus.SkippedLines);
    }

    [Fact]
    public void Empty_file_is_an_error()
    {
        using var dir = new TempDir();
        string p = dir.File("d.tsv", "");
        var ex = Assert.Throws<DataFormatException>(() => TextDatasetReader.Read(p));
        Assert.Contains("empty", ex.Message);
        string q = dir.File("e.tsv", "bad\n");
        var ex2 = Assert.Throws<DataFormatException>(() => TextDatasetReader.ReadTsv(q, skipBad: true));
        Assert.Contains("no valid examples", ex2.Message);
    }

    [Fact]
    public void FastText_format_allows_several_labels_anywhere()
    {
        using var dir = new TempDir();
        string p = dir.File("d.txt", "__label__sports __label__news Team wins\n__label__tech new  chip __label__hw\n");
        Assert.Equal(DatasetFormat.FastText, TextDatasetReader.DetectFormat(p));
        TextDataset d = TextDatasetReader.Read(p);
        Assert.Equal(["sports", "news"], d.Examples[0].Labels);
        Assert.Equal("Team wins", d.Examples[0].Text);
        Assert.Equal(["tech", "hw"], d.Examples[1].Labels);
        Assert.Equal("new chip", d.Examples[1].Text);

        string bad = dir.File("b.txt", "__label__a text\njust text\n");
        var ex = Assert.Throws<DataFormatException>(() => TextDatasetReader.ReadFastText(bad));
        Assert.Equal(2, ex.Line);
    }

    [Fact]
    public void Txt_without_fasttext_labels_is_detected_as_tsv()
    {
        using var dir = new TempDir();
        string p = dir.File("d.txt", "\nearn\tprofit up\n");
        Assert.Equal(DatasetFormat.Tsv, TextDatasetReader.DetectFormat(p));
        Assert.Equal("earn", TextDatasetReader.Read(p).Examples[0].Label);
    }

    [Fact]
    public void Csv_handles_quotes_commas_newlines_and_column_choice()
    {
        using var dir = new TempDir();
        string csv = "id,Review,sentiment\r\n1,\"Good, \"\"really\"\" good\",pos\r\n2,\"two\r\nlines\",neg\r\n3,plain,pos\r\n";
        string p = dir.File("d.csv", csv);
        TextDataset d = TextDatasetReader.Read(p, textField: "review", labelField: "sentiment");
        Assert.Equal(3, d.Count);
        Assert.Equal("Good, \"really\" good", d.Examples[0].Text);
        Assert.Equal("two\nlines", d.Examples[1].Text);
        Assert.Equal(3, d.Examples[1].Line);
        Assert.Equal(5, d.Examples[2].Line);
        Assert.Equal("pos", d.Examples[2].Label);
    }

    [Fact]
    public void Csv_errors_name_missing_columns_field_counts_and_open_quotes()
    {
        using var dir = new TempDir();
        string p = dir.File("a.csv", "text,label\nhello,x\n");
        var ex = Assert.Throws<DataFormatException>(() => CsvDatasetReader.Read(p, "body", "label"));
        Assert.Contains("\"body\"", ex.Message);
        Assert.Equal(1, ex.Line);

        string q = dir.File("b.csv", "text,label\nhello,x,extra\nfine,y\n");
        var ex2 = Assert.Throws<DataFormatException>(() => CsvDatasetReader.Read(q));
        Assert.Equal(2, ex2.Line);
        Assert.Contains("expected 2 fields", ex2.Message);
        Assert.Equal(1, CsvDatasetReader.Read(q, skipBad: true).Count);

        string r = dir.File("c.csv", "text,label\n\"never closed,x\n");
        var ex3 = Assert.Throws<DataFormatException>(() => CsvDatasetReader.Read(r));
        Assert.Contains("never closed", ex3.Message);
    }

    [Fact]
    public void Jsonl_reads_string_number_and_array_labels()
    {
        using var dir = new TempDir();
        string p = dir.File("d.jsonl", "{\"text\":\"hi \\\"there\\\"\",\"label\":\"greet\"}\n{\"text\":\"x\",\"label\":3}\n{\"label\":[\"a\",\"b\"],\"text\":\"y\"}\n");
        TextDataset d = TextDatasetReader.Read(p);
        Assert.Equal("hi \"there\"", d.Examples[0].Text);
        Assert.Equal("3", d.Examples[1].Label);
        Assert.Equal(["a", "b"], d.Examples[2].Labels);
    }

    [Fact]
    public void Jsonl_bad_lines_say_what_was_expected()
    {
        using var dir = new TempDir();
        string p = dir.File("d.jsonl", "{\"text\":\"ok\",\"label\":\"a\"}\n{\"text\":5,\"label\":\"a\"}\n[1]\n{bad\n{\"text\":\"t\"}\n");
        var ex = Assert.Throws<DataFormatException>(() => TextDatasetReader.ReadJsonl(p));
        Assert.Equal(2, ex.Line);
        Assert.Contains("string field \"text\"", ex.Message);
        TextDataset d = TextDatasetReader.ReadJsonl(p, skipBad: true);
        Assert.Equal(1, d.Count);
        Assert.Equal(4, d.SkippedLines);
    }

    [Fact]
    public void Raw_text_normalises_crlf_and_rejects_empty_files()
    {
        using var dir = new TempDir();
        string p = dir.Bytes("t.txt", [0xEF, 0xBB, 0xBF, .. "First\r\nSecond\n"u8]);
        Assert.Equal("First\nSecond\n", TextDatasetReader.ReadRawText(p));
        Assert.Throws<DataFormatException>(() => TextDatasetReader.ReadRawText(dir.File("e.txt", "")));
        var ex = Assert.Throws<DataFormatException>(() => TextDatasetReader.ReadRawText(dir.Bytes("b.txt", [.. "a\nb\n"u8, 0xFF])));
        Assert.Equal(3, ex.Line);
    }

    [Fact]
    public void Parallel_corpus_pairs_lines_and_names_both_files_on_mismatch()
    {
        using var dir = new TempDir();
        string de = dir.File("train.de", "Ein Hund.\nZwei Katzen.\n");
        string en = dir.File("train.en", "A dog.\r\nTwo cats.\r\n");
        ParallelCorpus c = ParallelCorpus.Read(de, en);
        Assert.Equal(2, c.Count);
        Assert.Equal(new SentencePair("Zwei Katzen.", "Two cats.", 2), c.Pairs[1]);

        string en3 = dir.File("three.en", "a\nb\nc\n");
        var ex = Assert.Throws<DataFormatException>(() => ParallelCorpus.Read(de, en3));
        Assert.Contains(de, ex.Message);
        Assert.Contains(en3, ex.Message);
        Assert.Contains("2 lines", ex.Message);

        string tsv = dir.File("p.tsv", "hallo\thello\nkaputt\n");
        var ex2 = Assert.Throws<DataFormatException>(() => ParallelCorpus.ReadTsv(tsv));
        Assert.Equal(2, ex2.Line);
        Assert.Equal(1, ParallelCorpus.ReadTsv(tsv, skipBad: true).Count);
    }

    [Fact]
    public void Missing_file_is_reported_by_path()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => TextDatasetReader.ReadTsv("/nonexistent/x.tsv"));
        Assert.Contains("/nonexistent/x.tsv", ex.Message);
        _ = Encoding.UTF8; // keep the using meaningful for helpers above
    }
}
