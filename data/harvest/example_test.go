package harvest_test

import (
	"fmt"

	"github.com/llink-go/llink/data/harvest"
)

func ExampleKeep() {
	en, km, why := harvest.Keep("<b>_Open</b> the selected file", "បើក​ឯកសារ​ដែល​បាន​ជ្រើស")
	fmt.Printf("%q %v %q\n", harvest.StripMnemonics(en), km != "", why)
	_, _, why = harvest.Keep("Copy %s to the folder", "ចម្លង %s ទៅ​ថត")
	fmt.Println(why)
	// Output:
	// "Open the selected file" true ""
	// placeholder
}

func ExampleDenied() {
	fmt.Println(harvest.Denied("vlc"), harvest.Denied("gtk30.mo"), harvest.Denied("nautilus-data"))
	// Output: true true false
}
