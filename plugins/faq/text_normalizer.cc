#include "text_normalizer.h"

#include <cctype>
#include <unordered_map>
#include <unordered_set>

namespace baraza::faq {
namespace {

// Two-byte UTF-8 Latin letters (U+00C0-U+00FF) to ASCII; 0 where the character is no letter.
char foldLatin1(unsigned char lead, unsigned char cont) {
  static const char* kTable =  // U+00C0 .. U+00FF
      "aaaaaaaceeeeiiiidnooooo\0ouuuuyts"
      "aaaaaaaceeeeiiiidnooooo\0ouuuuyty";
  unsigned code = ((lead & 0x1Fu) << 6) | (cont & 0x3Fu);
  if (code < 0xC0 || code > 0xFF)
    return 0;
  return kTable[code - 0xC0];
}

// Chat spellings and Swahili, to the English word the knowledge entries use.
const std::unordered_map<std::string, std::string>& synonyms() {
  static const std::unordered_map<std::string, std::string> map = {
      // chat spellings
      {"u", "you"},
      {"ur", "your"},
      {"yr", "your"},
      {"r", "are"},
      {"pls", "please"},
      {"plz", "please"},
      {"pliz", "please"},
      {"plis", "please"},
      {"wat", "what"},
      {"wht", "what"},
      {"wot", "what"},
      {"hw", "how"},
      {"wen", "when"},
      {"whn", "when"},
      {"whr", "where"},
      {"wer", "where"},
      {"2day", "today"},
      {"tdy", "today"},
      {"tmrw", "tomorrow"},
      {"tmr", "tomorrow"},
      {"tmoro", "tomorrow"},
      {"tomoro", "tomorrow"},
      {"tommorow", "tomorrow"},
      {"thx", "thanks"},
      {"thnx", "thanks"},
      {"tnx", "thanks"},
      {"msg", "message"},
      {"abt", "about"},
      {"cn", "can"},
      {"wanna", "want"},
      {"hv", "have"},
      {"coz", "because"},
      {"cuz", "because"},
      {"hrs", "hours"},
      {"hr", "hour"},
      {"num", "number"},
      {"nmbr", "number"},
      {"ph", "phone"},
      {"addr", "address"},
      {"loc", "location"},
      {"dlvr", "deliver"},
      {"dlvry", "delivery"},
      {"ksh", "price"},
      {"kes", "price"},
      {"bob", "price"},
      {"shillings", "price"},
      {"bucks", "price"},
      {"costs", "cost"},
      {"pple", "people"},
      {"mins", "minute"},
      {"wknd", "weekend"},
      {"sat", "saturday"},
      {"sun", "sunday"},
      {"2moro", "tomorrow"},
      // Swahili and Sheng
      {"bei", "price"},
      {"gharama", "cost"},
      {"ngapi", "much"},
      {"pesa", "money"},
      {"wapi", "where"},
      {"mahali", "location"},
      {"saa", "time"},
      {"masaa", "hours"},
      {"fungua", "open"},
      {"kufungua", "open"},
      {"mnafungua", "open"},
      {"wazi", "open"},
      {"funga", "close"},
      {"kufunga", "close"},
      {"mnafunga", "close"},
      {"lipa", "pay"},
      {"kulipa", "pay"},
      {"nilipe", "pay"},
      {"nalipa", "pay"},
      {"malipo", "payment"},
      {"nitalipa", "pay"},
      {"tulipe", "pay"},
      {"leta", "deliver"},
      {"kuleta", "deliver"},
      {"mnaleta", "deliver"},
      {"mnapeleka", "deliver"},
      {"peleka", "deliver"},
      {"kupeleka", "deliver"},
      {"mletee", "deliver"},
      {"niletee", "deliver"},
      {"usafirishaji", "delivery"},
      {"rudisha", "return"},
      {"kurudisha", "return"},
      {"nirudishe", "return"},
      {"tengeneza", "repair"},
      {"kutengeneza", "repair"},
      {"mnatengeneza", "repair"},
      {"rekebisha", "repair"},
      {"kurekebisha", "repair"},
      {"imeharibika", "broken"},
      {"imevunjika", "broken"},
      {"mbovu", "broken"},
      {"jifunza", "learn"},
      {"kujifunza", "learn"},
      {"masomo", "lesson"},
      {"somo", "lesson"},
      {"darasa", "class"},
      {"madarasa", "class"},
      {"mafunzo", "lesson"},
      {"fundisha", "teach"},
      {"kufundisha", "teach"},
      {"mnafundisha", "teach"},
      {"gitaa", "guitar"},
      {"gita", "guitar"},
      {"simu", "phone"},
      {"piga", "call"},
      {"kupiga", "call"},
      {"namba", "number"},
      {"nambari", "number"},
      {"leo", "today"},
      {"kesho", "tomorrow"},
      {"jumamosi", "saturday"},
      {"jumapili", "sunday"},
      {"nyumba", "house"},
      {"ardhi", "land"},
      {"shamba", "land"},
      {"kiwanja", "plot"},
      {"viwanja", "plots"},
      {"kodi", "rent"},
      {"kupanga", "rent"},
      {"agizo", "order"},
      {"oda", "order"},
      {"mtu", "human"},
      {"binadamu", "human"},
      {"chini", "minimum"},
      {"bure", "free"},
      {"nunua", "buy"},
      {"kununua", "buy"},
      {"bidhaa", "products"},
      {"orodha", "list"},
      {"mnauza", "sell"},
      {"kuuza", "sell"},
  };
  return map;
}

// Words that say nothing about what is asked (English, Swahili, chat filler).
const std::unordered_set<std::string>& stopWords() {
  static const std::unordered_set<std::string> words = {
      "a",      "an",      "the",        "is",      "are",      "was",    "were",      "be",
      "been",   "am",      "i",          "me",      "my",       "we",     "us",        "our",
      "you",    "your",    "yours",      "it",      "its",      "this",   "that",      "these",
      "those",  "to",      "of",         "in",      "on",       "at",     "for",       "from",
      "by",     "with",    "and",        "or",      "but",      "if",     "so",        "do",
      "does",   "did",     "can",        "could",   "would",    "should", "will",      "shall",
      "may",    "might",   "have",       "has",     "had",      "there",  "here",      "any",
      "some",   "please",  "kindly",     "hi",      "hello",    "hey",    "hallo",     "thanks",
      "thank",  "ok",      "okay",       "sir",     "madam",    "bro",    "boss",      "guys",
      "dear",   "want",    "wanted",     "like",    "know",     "tell",   "need",      "get",
      "just",   "also",    "too",        "very",    "about",    "there",  "yes",       "yeah",
      "good",   "morning", "afternoon",  "evening", "again",    "which",  "who",       "whom",
      "is",     "im",      "ive",        "id",      "dont",     "pls",    "please",    "still",
      "now",    "one",     "ni",         "na",      "ya",       "wa",     "za",        "la",
      "kwa",    "je",      "hii",        "hiyo",    "huo",      "hapo",   "mimi",      "wewe",
      "nyinyi", "sisi",    "yenu",       "yako",    "yangu",    "naomba", "tafadhali", "asante",
      "habari", "jambo",   "sasa",       "mambo",   "niaje",    "karibu", "mko",       "iko",
      "kuna",   "nataka",  "ningependa", "nini",    "gani",     "vipi",   "ama",       "au",
      "pia",    "tu",      "sana",       "hapa",    "huko",     "kama",   "mna",       "hamjambo",
      "poa",    "sema",    "aje",        "uko",     "mnafanya", "nijue",  "nitajua",   "ndio",
      "sawa",
  };
  return words;
}

const std::unordered_set<std::string>& questionWords() {
  static const std::unordered_set<std::string> words = {"what", "where", "when", "how", "why"};
  return words;
}

// Runs of one letter become one letter: "pleeease", "please" -> "plese".
std::string collapseRepeats(const std::string& word) {
  std::string out;
  out.reserve(word.size());
  for (char c : word) {
    if (out.empty() || out.back() != c || (c >= '0' && c <= '9'))
      out.push_back(c);
  }
  return out;
}

// A light English suffix cut, the same for entries and questions.
std::string stem(std::string w) {
  auto ends = [&](const char* s) {
    size_t n = std::char_traits<char>::length(s);
    return w.size() > n && w.compare(w.size() - n, n, s) == 0;
  };
  if (w.size() > 4 && ends("ies"))
    w = w.substr(0, w.size() - 3) + "y";
  else if (w.size() > 5 && ends("ing"))
    w.resize(w.size() - 3);
  else if (w.size() > 4 && ends("ed"))
    w.resize(w.size() - 2);
  else if (w.size() > 3 && ends("es") && (w[w.size() - 3] == 's' || w[w.size() - 3] == 'x'))
    w.resize(w.size() - 2);
  else if (w.size() > 3 && ends("s") && !ends("us") && !ends("is"))
    w.resize(w.size() - 1);
  return w;
}

void emit(std::string& word, std::vector<std::string>& out) {
  if (word.empty())
    return;
  std::string w = std::move(word);
  word.clear();
  if (auto it = synonyms().find(w); it != synonyms().end())
    w = it->second;
  // Stop words are matched with their repeats collapsed too: "pleeease" is "please".
  static const std::unordered_set<std::string> collapsed_stop_words = [] {
    std::unordered_set<std::string> out;
    for (const auto& s : stopWords())
      out.insert(collapseRepeats(s));
    return out;
  }();
  if (stopWords().count(w) || collapsed_stop_words.count(collapseRepeats(w)))
    return;
  if (w.size() < 2 && !(w[0] >= '0' && w[0] <= '9'))
    return;
  w = collapseRepeats(stem(w));
  if (!w.empty())
    out.push_back(std::move(w));
}

}  // namespace

std::vector<std::string> matchTokens(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 'A' && c <= 'Z') {
      word.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      word.push_back(static_cast<char>(c));
    } else if ((c == '-' || c == '\'') && !word.empty() && i + 1 < text.size() &&
               std::isalnum(static_cast<unsigned char>(text[i + 1]))) {
      continue;  // "m-pesa", "don't": one word
    } else if ((c & 0xE0) == 0xC0 && i + 1 < text.size()) {
      char folded = foldLatin1(c, static_cast<unsigned char>(text[i + 1]));
      ++i;
      if (folded)
        word.push_back(folded);
      else
        emit(word, out);
    } else {
      emit(word, out);
    }
  }
  emit(word, out);
  return out;
}

double tokenWeight(const std::string& token) {
  return questionWords().count(token) ? 0.5 : 1.0;
}

}  // namespace baraza::faq
