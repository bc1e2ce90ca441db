package seeds

import (
	"bytes"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
	"sync"
)

// The demo product images are generated: a soft gradient in the colour of
// the product's category (greens for vegetables, red for strawberries,
// gold for rice …) with a round "produce" shape, one of four shades. They
// stand in for photographs; a merchant replaces them in the console.

var categoryColours = map[string]color.RGBA{
	"vegetables": {76, 153, 76, 255}, "mushrooms": {160, 120, 90, 255}, "meat": {178, 70, 70, 255},
	"poultry": {214, 160, 100, 255}, "rice": {222, 196, 120, 255}, "grains": {196, 160, 90, 255},
	"camellia-oil": {200, 170, 60, 255}, "cooking-oil": {230, 190, 70, 255}, "apples": {200, 50, 50, 255},
	"strawberries": {220, 40, 70, 255}, "melons": {120, 180, 80, 255}, "tea": {90, 130, 70, 255},
	"honey": {235, 170, 40, 255}, "local-specialty": {170, 110, 80, 255}, "meal-kits": {110, 160, 140, 255},
}

const imageSize = 240

var (
	imagesMu sync.Mutex
	images   = map[string][]byte{}
)

// productImage returns the PNG for a product of category (shade picks
// one of four variations), encoding each variation once.
func productImage(category, name string) []byte {
	h := fnv.New32a()
	h.Write([]byte(name))
	shade := int(h.Sum32() % 4)
	key := category + "/" + string(rune('0'+shade))
	imagesMu.Lock()
	defer imagesMu.Unlock()
	if b, ok := images[key]; ok {
		return b
	}
	c, ok := categoryColours[category]
	if !ok {
		c = color.RGBA{120, 150, 120, 255}
	}
	img := image.NewRGBA(image.Rect(0, 0, imageSize, imageSize))
	light := func(v uint8, f int) uint8 { return uint8(int(v) + (255-int(v))*f/100) }
	cx, cy, r := imageSize/2+(shade-2)*12, imageSize/2+10, imageSize/3-shade*4
	for y := 0; y < imageSize; y++ {
		bg := color.RGBA{light(c.R, 85-y*15/imageSize), light(c.G, 85-y*15/imageSize), light(c.B, 85-y*15/imageSize), 255}
		for x := 0; x < imageSize; x++ {
			dx, dy := x-cx, y-cy
			if dx*dx+dy*dy <= r*r {
				f := (dx*dx + dy*dy) * 35 / (r * r)
				img.SetRGBA(x, y, color.RGBA{light(c.R, f), light(c.G, f), light(c.B, f), 255})
				continue
			}
			img.SetRGBA(x, y, bg)
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img) // encoding to memory cannot fail
	images[key] = buf.Bytes()
	return images[key]
}
